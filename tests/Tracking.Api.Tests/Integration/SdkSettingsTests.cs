using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Tracking.Api.Tests.Support;

namespace Tracking.Api.Tests.Integration;

/// <summary>
/// The settings documents Segment's and RudderStack's SDKs fetch before they send anything, over real HTTP: per write
/// key, pointing back at the API's public address, cacheable, readable cross-origin, and holding nothing else. The SDKs
/// themselves are run against these in Chromium by <c>tests/sdk/sdk-settings.test.mjs</c>.
/// </summary>
public class SdkSettingsTests
{
    private static async Task<(HttpResponseMessage Response, JsonObject Body)> GetJsonAsync(HttpClient client, string path, Action<HttpRequestMessage>? configure = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("Origin", "https://shop.example");
        configure?.Invoke(request);
        var response = await client.SendAsync(request);
        return (response, JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject());
    }

    [Fact]
    public async Task SegmentSettingsPointTheSdkBackAtTheHostItAskedWithNoOtherDestination()
    {
        await using var api = new TrackingApiFactory();
        using var client = api.CreateClient();

        var (response, body) = await GetJsonAsync(client, $"/v1/projects/{TrackingApiFactory.WriteKey}/settings");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("*", response.Headers.GetValues("Access-Control-Allow-Origin").Single());
        var segmentIo = body["integrations"]!["Segment.io"]!;
        Assert.Equal($"{client.BaseAddress!.Authority}/v1", segmentIo["apiHost"]!.GetValue<string>());
        Assert.Equal("http", segmentIo["protocol"]!.GetValue<string>());
        Assert.Single(body["integrations"]!.AsObject());
        Assert.Empty(body["remotePlugins"]!.AsArray());
        Assert.Empty(body["middlewareSettings"]!.AsObject());
        Assert.True(body["plan"]!["track"]!["__default"]!["enabled"]!.GetValue<bool>());
        Assert.DoesNotContain(TrackingApiFactory.SourceName, body.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheConfiguredPublicUrlWinsOverTheRequestsHost()
    {
        await using var api = new TrackingApiFactory(new Dictionary<string, string?> { ["Tracking:PublicUrl"] = "https://collect.example.com/" });
        using var client = api.CreateClient();

        using var response = await client.GetAsync($"/v1/projects/{TrackingApiFactory.WriteKey}/settings");
        var body = System.Text.Json.Nodes.JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.Equal("collect.example.com/v1", body["integrations"]!["Segment.io"]!["apiHost"]!.GetValue<string>());
        Assert.Equal("https", body["integrations"]!["Segment.io"]!["protocol"]!.GetValue<string>());
        Assert.True(response.Headers.CacheControl?.Public, "the same for every client: a CDN may keep it");
    }

    [Fact]
    public async Task ForwardedHostAndProtoAreBelievedOnlyFromATrustedProxy()
    {
        static void Forwarded(HttpRequestMessage request)
        {
            request.Headers.Add("X-Forwarded-Host", "evil.example");
            request.Headers.Add("X-Forwarded-Proto", "https");
            request.Headers.Add("X-Forwarded-For", "198.51.100.7");
        }

        await using (var untrusting = new TrackingApiFactory())
        {
            using var client = untrusting.CreateClient();
            var (_, body) = await GetJsonAsync(client, $"/v1/projects/{TrackingApiFactory.WriteKey}/settings", Forwarded);
            Assert.Equal($"{client.BaseAddress!.Authority}/v1", body["integrations"]!["Segment.io"]!["apiHost"]!.GetValue<string>());
        }

        await using var trusting = new TrackingApiFactory(new Dictionary<string, string?> { ["Tracking:ClientIp:TrustedProxies:0"] = "127.0.0.1" });
        using var behindProxy = trusting.CreateClient();
        var (_, proxied) = await GetJsonAsync(behindProxy, $"/v1/projects/{TrackingApiFactory.WriteKey}/settings", Forwarded);
        Assert.Equal("evil.example/v1", proxied["integrations"]!["Segment.io"]!["apiHost"]!.GetValue<string>());
        Assert.Equal("https", proxied["integrations"]!["Segment.io"]!["protocol"]!.GetValue<string>());
    }

    [Fact]
    public async Task ASettingsDocumentAskedAgainWithItsETagIsNotModified()
    {
        await using var api = new TrackingApiFactory();
        using var client = api.CreateClient();
        var path = $"/v1/projects/{TrackingApiFactory.WriteKey}/settings";

        using var first = await client.GetAsync(path);
        var tag = first.Headers.ETag;
        Assert.NotNull(tag);
        Assert.Equal(TimeSpan.FromSeconds(60), first.Headers.CacheControl?.MaxAge);
        // Built from the request's host, which the client chooses: a browser may keep it, a shared cache may not.
        Assert.True(first.Headers.CacheControl?.Private);
        Assert.False(first.Headers.CacheControl?.Public);
        Assert.Contains("Host", first.Headers.Vary);

        using var again = new HttpRequestMessage(HttpMethod.Get, path);
        again.Headers.IfNoneMatch.Add(tag);
        using var second = await client.SendAsync(again);
        Assert.Equal(HttpStatusCode.NotModified, second.StatusCode);
    }

    [Fact]
    public async Task RudderStackSourceConfigNamesTheSourceWithNoDestinationsWhetherTheKeyIsInTheQueryOrTheHeader()
    {
        await using var api = new TrackingApiFactory();
        using var client = api.CreateClient();

        var (byQuery, queried) = await GetJsonAsync(client, $"/sourceConfig/?p=npm&v=3.34.1&build=modern&writeKey={TrackingApiFactory.WriteKey}");
        var (byHeader, headed) = await GetJsonAsync(client, "/sourceConfig", request =>
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(TrackingApiFactory.WriteKey + ":"))));

        Assert.Equal(HttpStatusCode.OK, byQuery.StatusCode);
        Assert.Equal(HttpStatusCode.OK, byHeader.StatusCode);
        Assert.Equal(queried.ToJsonString(), headed.ToJsonString());
        var source = queried["source"]!;
        Assert.Equal(TrackingApiFactory.SourceName, source["name"]!.GetValue<string>());
        Assert.StartsWith("src_", source["id"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.True(source["enabled"]!.GetValue<bool>());
        Assert.Empty(source["config"]!.AsObject());
        Assert.Empty(source["destinations"]!.AsArray());
        Assert.DoesNotContain(TrackingApiFactory.WriteKey, queried.ToJsonString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/v1/projects/not-a-key/settings")]
    [InlineData("/sourceConfig/?writeKey=not-a-key")]
    [InlineData("/sourceConfig/")]
    [InlineData("/analytics.js/v1/not-a-key/analytics.min.js")]
    public async Task AnUnknownWriteKeyIsA404ProblemThatAnotherOriginCanRead(string path)
    {
        await using var api = new TrackingApiFactory();
        using var client = api.CreateClient();

        var (response, body) = await GetJsonAsync(client, path);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("*", response.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Equal("Unknown write key", body["title"]!.GetValue<string>());
    }

    [Fact]
    public async Task TheStockSnippetsScriptAndItsChunksAreServedFromTheBuildsCopyOfThePackageAndNothingElseIs()
    {
        await using var api = new TrackingApiFactory();
        using var client = api.CreateClient();

        using var script = await client.GetAsync($"/analytics.js/v1/{TrackingApiFactory.WriteKey}/analytics.min.js");
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
        Assert.Equal("text/javascript", script.Content.Headers.ContentType?.MediaType);
        Assert.Contains("/analytics-next/bundles/", await script.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var chunk = Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "segment-bundle"), "schemaFilter.bundle.*.js").Single();
        using var chunkResponse = await client.GetAsync($"/analytics-next/bundles/{Path.GetFileName(chunk)}");
        Assert.Equal(HttpStatusCode.OK, chunkResponse.StatusCode);
        Assert.True(chunkResponse.Headers.CacheControl?.MaxAge >= TimeSpan.FromDays(365));

        foreach (var path in new[] { "/analytics-next/bundles/..%2Fappsettings.json", "/analytics-next/bundles/Tracking.Api.dll", "/analytics-next/bundles/nothing.js" })
        {
            using var refused = await client.GetAsync(path);
            Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
        }
    }
}
