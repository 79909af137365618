using System.Net;
using Tracking.Api.Tests.Support;

namespace Tracking.Api.Tests.Integration;

/// <summary>What analytics.js 2.0 sends from another origin: one-letter paths, text/plain bodies with Basic auth, its own metrics, retries with X-Retry-Count.</summary>
public class SdkPathTests(EndpointFixture fixture) : IClassFixture<EndpointFixture>
{
    private readonly HttpClient _client = fixture.Client;

    [Theory]
    [InlineData("t", "track", """ "event":"Short Track" """)]
    [InlineData("p", "page", """ "name":"Short Page" """)]
    [InlineData("s", "screen", """ "name":"Short Screen" """)]
    [InlineData("i", "identify", """ "traits":{"plan":"pro"} """)]
    [InlineData("g", "group", """ "groupId":"acme" """)]
    [InlineData("a", "alias", """ "previousId":"anon-9" """)]
    public async Task EachOneLetterPathIsAnAliasOfItsMessageType(string path, string type, string fields)
    {
        var id = Guid.NewGuid().ToString();

        var response = await _client.PostAsync($"/v1/{path}", Http.Json($$"""{"anonymousId":"a-1","messageId":"{{id}}",{{fields}}}""", "text/plain"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var stored = await fixture.DeliveredAsync(id);
        Assert.Equal(type, stored["type"]!.GetValue<string>());
        Assert.Equal(TrackingApiFactory.SourceName, stored["source"]!.GetValue<string>());
    }

    [Fact]
    public async Task TheBatchingStrategysPathIsAnAliasOfBatch()
    {
        var id = Guid.NewGuid().ToString();

        var response = await _client.PostAsync("/v1/b", Http.Json($$"""{"batch":[{"type":"track","anonymousId":"a","event":"Batched","messageId":"{{id}}"}]}""", "text/plain"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Batched", (await fixture.DeliveredAsync(id))["event"]!.GetValue<string>());
    }

    [Fact]
    public async Task ClientMetricsAreCountedWithoutAWriteKeyAndNeverStored()
    {
        using var metrics = new ApiMetrics(fixture.Api.Services);
        using var anonymous = fixture.Api.CreateClient();
        var marker = Guid.NewGuid().ToString();

        var response = await anonymous.PostAsync("/v1/m", Http.Json($$$"""{"series":[{"type":"Counter","metric":"analytics_js.invoke","value":1,"tags":{"m":"{{{marker}}}"}},{"type":"Counter","metric":"analytics_js.invoke.error","value":2,"tags":{}}]}""", "text/plain"));
        var id = Guid.NewGuid().ToString();
        await _client.PostAsync("/v1/t", Http.Json($$"""{"anonymousId":"a","event":"After Metrics","messageId":"{{id}}"}"""));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, (await response.ReadJsonAsync())["series"]!.GetValue<int>());
        Assert.Equal(2, metrics.Sum("tracking.client_metrics"));
        await fixture.DeliveredAsync(id);
        Assert.DoesNotContain(Outbox.ReadEvents(fixture.Api.OutboxDirectory), e => e.ToJsonString().Contains(marker, StringComparison.Ordinal));
    }

    [Fact]
    public async Task ClientMetricsThatAreNotJsonAreA400()
    {
        using var anonymous = fixture.Api.CreateClient();

        var response = await anonymous.PostAsync("/v1/m", Http.Json("series=1", "text/plain"));

        await response.ProblemAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task ThePreflightOfARetryAllowsTheHeadersTheBrowserAsksFor()
    {
        using var preflight = new HttpRequestMessage(HttpMethod.Options, "/v1/t");
        preflight.Headers.Add("Origin", "https://shop.example");
        preflight.Headers.Add("Access-Control-Request-Method", "POST");
        preflight.Headers.Add("Access-Control-Request-Headers", "authorization,content-type,x-retry-count");

        var response = await _client.SendAsync(preflight);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal("https://shop.example", response.Headers.GetValues("Access-Control-Allow-Origin").Single());
        var allowed = string.Join(",", response.Headers.GetValues("Access-Control-Allow-Headers")).ToLowerInvariant();
        Assert.Contains("x-retry-count", allowed, StringComparison.Ordinal);
        Assert.Contains("authorization", allowed, StringComparison.Ordinal);
    }
}

/// <summary>Each refusal names the limit that was passed, with its number, and uses the status README documents.</summary>
public class RefusalReasonTests(EndpointFixture fixture) : IClassFixture<EndpointFixture>
{
    private readonly HttpClient _client = fixture.Client;

    [Fact]
    public async Task ABatchWhoseEveryItemIsOverTheEnrichedLimitIsA413NamingThatLimit()
    {
        var item = """{"type":"track","userId":"u","event":"e"}""";
        var body = $$"""{"context":{"pad":"{{new string('x', 70_000)}}"},"batch":[{{item}},{{item}}]}""";

        var response = await _client.PostAsync("/v1/batch", Http.Json(body));

        var problem = await response.ProblemAsync(HttpStatusCode.RequestEntityTooLarge);
        var detail = problem["detail"]!.GetValue<string>();
        Assert.Contains("65536", detail, StringComparison.Ordinal);
        Assert.DoesNotContain("32768", detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ABatchWhoseItemsAreOverTheRawLimitIsA413NamingThatLimit()
    {
        var item = $$$"""{"type":"track","userId":"u","event":"e","properties":{"p":"{{{new string('x', 33_000)}}}"}}""";

        var response = await _client.PostAsync("/v1/batch", Http.Json($$"""{"batch":[{{item}},{{item}}]}"""));

        var problem = await response.ProblemAsync(HttpStatusCode.RequestEntityTooLarge);
        var detail = problem["detail"]!.GetValue<string>();
        Assert.Contains("2 larger than 32768 bytes of JSON as sent", detail, StringComparison.Ordinal);
        Assert.DoesNotContain("65536", detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ASingleMessageOverTheEnrichedLimitIsA413ThatDoesNotTalkAboutABatch()
    {
        // 32,747 bytes as sent, under 32 KB; a 16,380-quote User-Agent, escaped into context.userAgent, pushes the event past 64 KB.
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/track")
        {
            Content = Http.Json($$$"""{"userId":"u","event":"e","properties":{"p":"{{{new string('"', 16_350).Replace("\"", "\\\"", StringComparison.Ordinal)}}}"}}"""),
        };
        request.Headers.TryAddWithoutValidation("User-Agent", new string('"', 16_380));

        var response = await _client.SendAsync(request);

        var problem = await response.ProblemAsync(HttpStatusCode.RequestEntityTooLarge);
        var detail = problem["detail"]!.GetValue<string>();
        Assert.Equal("Message too large once enriched", problem["title"]!.GetValue<string>());
        Assert.Contains("65536", detail, StringComparison.Ordinal);
        Assert.DoesNotContain("batch", detail, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task InABatchAnItemOverTheEnrichedLimitIsListedWithThatLimitAndTheOthersAccepted()
    {
        var big = $$$"""{"type":"track","userId":"u","event":"e","context":{"mine":"{{{new string('y', 30_000)}}}"}}""";
        var small = """{"type":"track","userId":"u","event":"e","context":{"pad":"own"}}""";
        var body = $$"""{"context":{"pad":"{{new string('x', 40_000)}}"},"batch":[{{small}},{{big}}]}""";

        var response = await _client.PostAsync("/v1/batch", Http.Json(body));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var answer = await response.ReadJsonAsync();
        Assert.Equal(1, answer["accepted"]!.GetValue<int>());
        Assert.Equal(1, answer["rejected"]![0]!["index"]!.GetValue<int>());
        Assert.Contains("65536", answer["rejected"]![0]!["errors"]!["message"]![0]!.GetValue<string>(), StringComparison.Ordinal);
    }
}
