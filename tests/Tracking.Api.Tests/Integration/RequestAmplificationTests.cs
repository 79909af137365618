using System.Diagnostics;
using System.Net;
using Tracking.Api.Tests.Support;

namespace Tracking.Api.Tests.Integration;

/// <summary>Small requests that would cost the API far more than their size: each is refused cheaply and for good.</summary>
public class RequestAmplificationTests(EndpointFixture fixture) : IClassFixture<EndpointFixture>
{
    private readonly HttpClient _client = fixture.Client;

    private static string Batch(string context, int messages, string message = """{"type":"track","userId":"u","event":"e"}""") =>
        $$"""{"context":{{context}},"batch":[{{string.Join(",", Enumerable.Repeat(message, messages))}}]}""";

    [Fact]
    public async Task ABatchContextThatMakesEveryMessageHugeIsA413()
    {
        var response = await _client.PostAsync("/v1/batch", Http.Gzip(Batch($$"""{"pad":"{{new string('x', 200_000)}}"}""", 100)));

        await response.ProblemAsync(HttpStatusCode.RequestEntityTooLarge);
        Assert.Equal(HttpStatusCode.OK, (await _client.GetAsync("/health/ready")).StatusCode);
    }

    [Fact]
    public async Task ABatchContextThatAddsUpToMegabytesAcrossMessagesIsA413()
    {
        var response = await _client.PostAsync("/v1/batch", Http.Gzip(Batch($$"""{"pad":"{{new string('x', 30_000)}}"}""", 100)));

        var problem = await response.ProblemAsync(HttpStatusCode.RequestEntityTooLarge);
        Assert.Contains("context merged", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ABatchOfMoreThanFiveThousandMessagesIsA413BeforeAnyIsValidated()
    {
        var body = "{\"batch\":[" + string.Join(",", Enumerable.Repeat("{}", 170_000)) + "]}";
        var watch = Stopwatch.StartNew();

        var response = await _client.PostAsync("/v1/batch", Http.Gzip(body));

        var problem = await response.ProblemAsync(HttpStatusCode.RequestEntityTooLarge);
        Assert.Contains("at most 5000 messages", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.True(response.Content.Headers.ContentLength is null or < 2_000, "the answer stays small");
    }

    [Fact]
    public async Task TimestampAndSentAtCenturiesApartAreRefusedNotA500()
    {
        var single = await _client.PostAsync("/v1/track", Http.Json("""{"userId":"u","event":"e","timestamp":"9999-12-31T00:00:00Z","sentAt":"0001-01-01T00:00:00Z"}"""));
        var batch = await _client.PostAsync("/v1/batch", Http.Json("""
            {"batch":[{"type":"track","userId":"u","event":"fine"},{"type":"track","userId":"u","event":"e","timestamp":"0001-01-01T00:00:00Z"}],
             "sentAt":"9999-12-31T00:00:00Z"}
            """));

        var problem = await single.ProblemAsync(HttpStatusCode.BadRequest);
        Assert.NotNull(problem["errors"]!["sentAt"]);
        Assert.Equal(HttpStatusCode.OK, batch.StatusCode);
        var body = await batch.ReadJsonAsync();
        Assert.Equal(1, body["accepted"]!.GetValue<int>());
        Assert.Equal(1, body["rejected"]![0]!["index"]!.GetValue<int>());
    }
}

public class QueueCapacityTests
{
    [Fact]
    public async Task ARequestLargerThanTheWholeQueueIsA413NotA503ThatWouldBeRetriedForever()
    {
        await using var api = new TrackingApiFactory(new Dictionary<string, string?> { ["Tracking:Spool:Durability"] = "Memory", ["Tracking:Queue:MaxEvents"] = "5" });
        using var client = api.CreateAuthenticatedClient();

        var response = await client.PostAsync("/v1/batch", Http.Json(
            "{\"batch\":[" + string.Join(",", Enumerable.Repeat("""{"type":"track","userId":"u","event":"e"}""", 6)) + "]}"));

        await response.ProblemAsync(HttpStatusCode.RequestEntityTooLarge);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/ready")).StatusCode);
    }
}
