using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Tracking.Api.Tests.Support;
using Tracking.Testing;

namespace Tracking.Api.Tests.Integration;

public sealed class EndpointFixture : IAsyncLifetime
{
    public TrackingApiFactory Api { get; } = new(new Dictionary<string, string?>
    {
        ["Tracking:File:MaxFileAge"] = "00:00:00.200",
        ["Tracking:Cors:AllowedOrigins:0"] = "https://shop.example",
    });

    public HttpClient Client { get; private set; } = null!;

    public Task InitializeAsync()
    {
        Client = Api.CreateAuthenticatedClient();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await Api.DisposeAsync();

    /// <summary>Waits until the event with <paramref name="messageId"/> is in a completed outbox file.</summary>
    public async Task<JsonObject> DeliveredAsync(string messageId)
    {
        JsonObject? found = null;
        await Eventually.TrueAsync(
            () => (found = Outbox.ReadEvents(Api.OutboxDirectory).FirstOrDefault(e => e["messageId"]?.GetValue<string>() == messageId)) is not null,
            $"{messageId} is in the outbox");
        return found!;
    }
}

public class EndpointTests(EndpointFixture fixture) : IClassFixture<EndpointFixture>
{
    private readonly HttpClient _client = fixture.Client;

    private static string Id() => Guid.NewGuid().ToString();

    [Theory]
    [InlineData("track", """ "event":"Order Completed","properties":{"revenue":9.5} """)]
    [InlineData("identify", """ "traits":{"email":"a@example.com"} """)]
    [InlineData("page", """ "name":"Pricing","properties":{"path":"/pricing"} """)]
    [InlineData("screen", """ "name":"Checkout" """)]
    [InlineData("group", """ "groupId":"acme","traits":{"plan":"pro"} """)]
    [InlineData("alias", """ "previousId":"anon-1" """)]
    public async Task EachEndpointAcceptsItsMessageAndDeliversItEnriched(string type, string fields)
    {
        var id = Id();

        var response = await _client.PostAsync($"/v1/{type}", Http.Json($$"""{"userId":"user-1","messageId":"{{id}}",{{fields}}}"""));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.ReadJsonAsync();
        Assert.True(body["success"]!.GetValue<bool>());
        Assert.Equal(1, body["accepted"]!.GetValue<int>());

        var delivered = await fixture.DeliveredAsync(id);
        Assert.Equal(type, delivered["type"]!.GetValue<string>());
        Assert.Equal(TrackingApiFactory.SourceName, delivered["source"]!.GetValue<string>());
        Assert.Equal("127.0.0.1", delivered["context"]!["ip"]!.GetValue<string>());
        Assert.NotNull(delivered["receivedAt"]);
        Assert.NotNull(delivered["timestamp"]);
    }

    [Fact]
    public async Task ABeaconWithTheWriteKeyInAPlainTextBodyIsAccepted()
    {
        using var anonymous = fixture.Api.CreateClient();
        var id = Id();

        var response = await anonymous.PostAsync("/v1/batch", Http.Json(
            $$"""{"writeKey":"{{TrackingApiFactory.WriteKey}}","batch":[{"type":"page","anonymousId":"a-1","messageId":"{{id}}"}]}""", "text/plain"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var delivered = await fixture.DeliveredAsync(id);
        Assert.DoesNotContain(TrackingApiFactory.WriteKey, delivered.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AGzipBodyIsDecompressed()
    {
        var id = Id();

        var response = await _client.PostAsync("/v1/track", Http.Gzip($$"""{"userId":"u","event":"Zipped","messageId":"{{id}}"}"""));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Zipped", (await fixture.DeliveredAsync(id))["event"]!.GetValue<string>());
    }

    [Fact]
    public async Task ImportIsAnAliasOfBatch()
    {
        var id = Id();

        var response = await _client.PostAsync("/v1/import", Http.Json($$$"""{"batch":[{"type":"track","userId":"u","event":"Old","timestamp":"2024-01-01T00:00:00Z","messageId":"{{{id}}}"}]}"""));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("2024-01-01T00:00:00.000Z", (await fixture.DeliveredAsync(id))["timestamp"]!.GetValue<string>());
    }

    [Fact]
    public async Task AnUnknownWriteKeyIsRefusedWith401()
    {
        using var client = fixture.Api.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Basic", Convert.ToBase64String("wrong-key:"u8.ToArray()));

        var response = await client.PostAsync("/v1/track", Http.Json("""{"userId":"u","event":"E"}"""));

        await response.ProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Equal("Basic", response.Headers.WwwAuthenticate.Single().Scheme);
    }

    [Fact]
    public async Task NoWriteKeyAtAllIsRefusedWith401()
    {
        using var client = fixture.Api.CreateClient();

        var response = await client.PostAsync("/v1/track", Http.Json("""{"userId":"u","event":"E"}"""));

        await response.ProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task MalformedJsonIsA400SayingWhereItBroke()
    {
        var response = await _client.PostAsync("/v1/track", Http.Json("{\n\"userId\": \"u\",\n\"event\": tru\n}"));

        var problem = await response.ProblemAsync(HttpStatusCode.BadRequest);
        Assert.Equal(3, problem["line"]!.GetValue<int>());
        Assert.Contains("line 3", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnInvalidMessageIsA400NamingEachFailingField()
    {
        var response = await _client.PostAsync("/v1/track", Http.Json("""{"properties":[],"timestamp":"soon"}"""));

        var problem = await response.ProblemAsync(HttpStatusCode.BadRequest);
        var errors = problem["errors"]!.AsObject();
        Assert.Equal(["event", "properties", "timestamp", "userId"], errors.Select(e => e.Key).Order());
    }

    [Fact]
    public async Task ABatchWithSomeInvalidMessagesAcceptsTheRestAndListsTheRefused()
    {
        var good = Id();
        var big = new string('x', 33 * 1024);

        var response = await _client.PostAsync("/v1/batch", Http.Json($$$"""
            {"batch":[
              {"type":"track","userId":"u","messageId":"{{{good}}}","event":"Fine"},
              {"type":"track","userId":"u"},
              {"type":"track","userId":"u","event":"Huge","properties":{"blob":"{{{big}}}"}},
              "not an object"
            ]}
            """));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.ReadJsonAsync();
        Assert.Equal(1, body["accepted"]!.GetValue<int>());
        var rejected = body["rejected"]!.AsArray().Select(r => (r!["index"]!.GetValue<int>(), string.Join(",", r["errors"]!.AsObject().Select(e => e.Key)))).ToList();
        Assert.Equal([(1, "event"), (2, "message"), (3, "message")], rejected);
        await fixture.DeliveredAsync(good);
    }

    [Fact]
    public async Task ABatchWithNoValidMessageIsA400()
    {
        var response = await _client.PostAsync("/v1/batch", Http.Json("""{"batch":[{"type":"track","userId":"u"},{"type":"nope","userId":"u"}]}"""));

        var problem = await response.ProblemAsync(HttpStatusCode.BadRequest);
        Assert.Equal(["batch[0].event", "batch[1].type"], problem["errors"]!.AsObject().Select(e => e.Key).Order());
    }

    [Fact]
    public async Task AMessageOver32KBIsA413()
    {
        var response = await _client.PostAsync("/v1/track", Http.Json($$$"""{"userId":"u","event":"E","properties":{"p":"{{{new string('x', 32 * 1024)}}}"}}"""));

        await response.ProblemAsync(HttpStatusCode.RequestEntityTooLarge);
    }

    [Fact]
    public async Task ABatchOver500KBIsA413()
    {
        var item = $$$"""{"type":"track","userId":"u","event":"E","properties":{"p":"{{{new string('x', 20 * 1024)}}}"}}""";
        var response = await _client.PostAsync("/v1/batch", Http.Json($$"""{"batch":[{{string.Join(",", Enumerable.Repeat(item, 26))}}]}"""));

        await response.ProblemAsync(HttpStatusCode.RequestEntityTooLarge);
    }

    [Fact]
    public async Task AGzipBombIsStoppedAtTheLimitAfterDecompression()
    {
        // 100 MB of spaces compress to about 100 KB; only the first 500 KB may ever be inflated.
        using var compressed = new MemoryStream();
        using (var gzip = new System.IO.Compression.GZipStream(compressed, System.IO.Compression.CompressionLevel.SmallestSize, leaveOpen: true))
        {
            gzip.Write("{\"batch\":["u8);
            var spaces = new byte[1 << 20];
            Array.Fill(spaces, (byte)' ');
            for (var i = 0; i < 100; i++)
            {
                gzip.Write(spaces);
            }
        }

        var content = new ByteArrayContent(compressed.ToArray());
        content.Headers.ContentType = new("application/json");
        content.Headers.ContentEncoding.Add("gzip");

        var response = await _client.PostAsync("/v1/batch", content);

        Assert.True(compressed.Length < 1024 * 1024);
        await response.ProblemAsync(HttpStatusCode.RequestEntityTooLarge);
    }

    [Theory]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData("application/xml")]
    [InlineData("application/octet-stream")]
    public async Task AJsonBodyIsReadAsJsonWhateverItsContentTypeSays(string mediaType)
    {
        var id = Id();

        var response = await _client.PostAsync("/v1/track", Http.Json($$"""{"userId":"u","event":"E","messageId":"{{id}}"}""", mediaType));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("E", (await fixture.DeliveredAsync(id))["event"]!.GetValue<string>());
    }

    [Fact]
    public async Task AGzipBatchSentAsAFormIsReadAsJsonTheWayAServerSdkSendsIt()
    {
        var id = Id();

        var response = await _client.PostAsync("/v1/batch", Http.Gzip($$"""{"batch":[{"type":"track","userId":"u","event":"Form","messageId":"{{id}}"}]}""", "application/x-www-form-urlencoded"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Form", (await fixture.DeliveredAsync(id))["event"]!.GetValue<string>());
    }

    [Fact]
    public async Task ABodyThatIsNotJsonIsA400SayingWhereItBroke()
    {
        var response = await _client.PostAsync("/v1/track", Http.Json("userId=u&event=E", "application/x-www-form-urlencoded"));

        var problem = await response.ProblemAsync(HttpStatusCode.BadRequest);
        Assert.Equal("Malformed JSON", problem["title"]!.GetValue<string>());
        Assert.Contains("line 1, byte 1", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnUnknownContentEncodingIsA415()
    {
        var content = Http.Json("""{"userId":"u","event":"E"}""");
        content.Headers.ContentEncoding.Add("zstd");

        var response = await _client.PostAsync("/v1/track", content);

        await response.ProblemAsync(HttpStatusCode.UnsupportedMediaType);
    }

    [Fact]
    public async Task ABodyThatIsNotUtf8IsA400()
    {
        var content = new ByteArrayContent([.. "{\"userId\":\"u\",\"event\":\""u8, 0xC3, 0x28, .. "\"}"u8]);
        content.Headers.ContentType = new("application/json");

        var response = await _client.PostAsync("/v1/track", content);

        await response.ProblemAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task BrowsersFromAnAllowedOriginPassThePreflight()
    {
        using var preflight = new HttpRequestMessage(HttpMethod.Options, "/v1/batch");
        preflight.Headers.Add("Origin", "https://shop.example");
        preflight.Headers.Add("Access-Control-Request-Method", "POST");
        preflight.Headers.Add("Access-Control-Request-Headers", "authorization,content-type");

        var allowed = await _client.SendAsync(preflight);

        Assert.Equal("https://shop.example", allowed.Headers.GetValues("Access-Control-Allow-Origin").Single());

        using var other = new HttpRequestMessage(HttpMethod.Options, "/v1/batch");
        other.Headers.Add("Origin", "https://evil.example");
        other.Headers.Add("Access-Control-Request-Method", "POST");
        var refused = await _client.SendAsync(other);
        Assert.False(refused.Headers.Contains("Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task HealthEndpointsAnswer()
    {
        var live = await _client.GetAsync("/health/live");
        var ready = await _client.GetAsync("/health/ready");

        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        var report = await ready.ReadJsonAsync();
        Assert.Equal("Healthy", report["status"]!.GetValue<string>());
        Assert.Equal(["queue", "sink"], report["checks"]!.AsObject().Select(c => c.Key).Order());
    }

    [Fact]
    public async Task SwaggerUiIsServed()
    {
        var response = await _client.GetAsync("/swagger/index.html");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("swagger-ui", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TrackerJsIsServedWithAnETagThatAnswersConditionalRequestsWith304()
    {
        var first = await _client.GetAsync("/tracker.js");

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal("text/javascript", first.Content.Headers.ContentType?.MediaType);
        Assert.Contains("public", first.Headers.CacheControl!.ToString(), StringComparison.Ordinal);
        var etag = first.Headers.ETag;
        Assert.NotNull(etag);

        using var conditional = new HttpRequestMessage(HttpMethod.Get, "/tracker.js");
        conditional.Headers.IfNoneMatch.Add(etag);
        var second = await _client.SendAsync(conditional);

        Assert.Equal(HttpStatusCode.NotModified, second.StatusCode);
    }

    [Fact]
    public async Task TheRootLeadsToTheDemoPage()
    {
        using var noRedirects = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = _client.BaseAddress };

        var root = await noRedirects.GetAsync("/");
        var demo = await _client.GetAsync("/demo/");

        Assert.Equal(HttpStatusCode.Redirect, root.StatusCode);
        Assert.Equal("/demo/", root.Headers.Location!.OriginalString);
        Assert.Equal(HttpStatusCode.OK, demo.StatusCode);
        Assert.Contains("tracker.js", await demo.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownRoutesAnswerWithProblemDetails()
    {
        var response = await _client.GetAsync("/v1/nothing-here");

        await response.ProblemAsync(HttpStatusCode.NotFound);
    }
}
