using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Tracking.Api.Tests.Support;
using Tracking.Testing;

namespace Tracking.Api.Tests.Integration;

/// <summary>/admin/suppressions on the real API: a suppressed user's events are answered 200, stored nowhere, counted.</summary>
public sealed class SuppressionTests : IDisposable
{
    private readonly string _shared = TemporaryFolder.NewPath("suppressions-");

    public void Dispose() => TemporaryFolder.Delete(_shared);

    private Dictionary<string, string?> Settings() => OperationsAccessTests.WithAdminKey(("Tracking:Suppression:Path", Path.Combine(_shared, "list.json")));

    private static HttpClient AdminClient(TrackingApiFactory api)
    {
        var client = api.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", OperationsAccessTests.AdminKey);
        return client;
    }

    [Fact]
    public async Task ASuppressedUsersEventsAreAnswered200AndOnlyTheOthersReachTheOutbox()
    {
        await using var api = new TrackingApiFactory(Settings());
        using var admin = AdminClient(api);
        using var writer = api.CreateAuthenticatedClient();

        using var added = await admin.PostAsync("/admin/suppressions", Http.Json("""{"userId":"gone-user"}"""));
        Assert.Equal(HttpStatusCode.Created, added.StatusCode);
        Assert.Equal("userId", (await added.ReadJsonAsync())["kind"]!.GetValue<string>());
        using var anonymous = await admin.PostAsync("/admin/suppressions", Http.Json("""{"anonymousId":"gone-device"}"""));
        Assert.Equal(HttpStatusCode.Created, anonymous.StatusCode);

        using var single = await writer.PostAsync("/v1/track", Http.Json("""{"userId":"gone-user","event":"Secret"}"""));
        Assert.Equal(HttpStatusCode.OK, single.StatusCode);
        Assert.Equal(1, (await single.ReadJsonAsync())["accepted"]!.GetValue<int>());
        using var batch = await writer.PostAsync("/v1/batch", Http.Json(
            """{"batch":[{"type":"track","userId":"kept","event":"Kept"},{"type":"page","anonymousId":"gone-device","name":"Secret"},{"type":"identify","userId":"gone-user","anonymousId":"other"}]}"""));
        Assert.Equal(HttpStatusCode.OK, batch.StatusCode);
        Assert.Equal(3, (await batch.ReadJsonAsync())["accepted"]!.GetValue<int>());

        JsonObject status = [];
        await Eventually.TrueAsync(
            async () =>
            {
                using var response = await admin.GetAsync("/status.json");
                status = await response.ReadJsonAsync();
                return status["totals"]!["delivered"]!.GetValue<long>() == 1;
            },
            "the one event not suppressed is delivered");
        Assert.Equal(3, status["totals"]!["suppressed"]!.GetValue<long>());
        Assert.Equal(1, status["totals"]!["accepted"]!.GetValue<long>());
        var metrics = await admin.GetStringAsync("/metrics");
        Assert.Contains("tracking_events_suppressed_total{", metrics, StringComparison.Ordinal);

        await api.ShutdownAsync();
        var stored = Outbox.ReadEvents(api.OutboxDirectory);
        Assert.Equal("Kept", Assert.Single(stored)["event"]!.GetValue<string>());
    }

    [Fact]
    public async Task TheListSurvivesARestartAndAnIdCanBeLiftedAgain()
    {
        await using (var first = new TrackingApiFactory(Settings()))
        {
            using var admin = AdminClient(first);
            Assert.Equal(HttpStatusCode.Created, (await admin.PostAsync("/admin/suppressions", Http.Json("""{"userId":"u-restart"}"""))).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync("/admin/suppressions", Http.Json("""{"userId":"u-restart"}"""))).StatusCode);
        }

        await using var second = new TrackingApiFactory(Settings());
        using var again = AdminClient(second);
        var list = JsonNode.Parse(await again.GetStringAsync("/admin/suppressions"))!;
        Assert.Equal(1, list["count"]!.GetValue<int>());
        Assert.Equal("u-restart", list["suppressed"]![0]!["id"]!.GetValue<string>());

        using var writer = second.CreateAuthenticatedClient();
        Assert.Equal(HttpStatusCode.OK, (await writer.PostAsync("/v1/track", Http.Json("""{"userId":"u-restart","event":"Dropped"}"""))).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await again.DeleteAsync("/admin/suppressions/userId/u-restart")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await again.DeleteAsync("/admin/suppressions/userId/u-restart")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await writer.PostAsync("/v1/track", Http.Json("""{"userId":"u-restart","event":"Stored"}"""))).StatusCode);

        await second.ShutdownAsync();
        Assert.Equal("Stored", Assert.Single(Outbox.ReadEvents(second.OutboxDirectory))["event"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("""{}""")]
    [InlineData("""{"userId":"u","anonymousId":"a"}""")]
    [InlineData("""{"userId":""}""")]
    public async Task ABodyWithoutExactlyOneUsableIdIsRefusedWith400(string body)
    {
        await using var api = new TrackingApiFactory(Settings());
        using var admin = AdminClient(api);

        using var response = await admin.PostAsync("/admin/suppressions", Http.Json(body));

        await response.ProblemAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task MutatedBodiesGetA2xxOrA4xxProblemAndTheListStaysReadable()
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("FUZZ_SEED"), out var fixedSeed) ? fixedSeed : Random.Shared.Next();
        await using var api = new TrackingApiFactory(Settings());
        using var admin = AdminClient(api);
        var wrong = new List<string>();

        foreach (var body in Tracking.Testing.Fuzzing.BodyMutations.Generate(seed, 300, """{"userId":"u-1"}""", """{"anonymousId":"a-1"}"""))
        {
            using var content = new ByteArrayContent(body);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            using var response = await admin.PostAsync("/admin/suppressions", content);
            var status = (int)response.StatusCode;
            if (status >= 500 || (status >= 400 && response.Content.Headers.ContentType?.MediaType != "application/problem+json"))
            {
                wrong.Add($"{status} for {Convert.ToBase64String(body[..Math.Min(body.Length, 200)])}");
            }
        }

        Assert.True(wrong.Count == 0, $"seed {seed} (FUZZ_SEED={seed} to replay): {wrong.Count} answered wrongly, first: {wrong.FirstOrDefault()}");
        using var added = await admin.PostAsync("/admin/suppressions", Http.Json("""{"userId":"after-the-fuzz"}"""));
        Assert.Equal(HttpStatusCode.Created, added.StatusCode);
        using var list = await admin.GetAsync("/admin/suppressions");
        Assert.Contains("after-the-fuzz", await list.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.NotNull(JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(_shared, "list.json"))));
    }

    [Fact]
    public async Task TheListNeedsTheAdminKey()
    {
        await using var api = new TrackingApiFactory(Settings());
        using var stranger = api.CreateClient();

        Assert.Equal(HttpStatusCode.Unauthorized, (await stranger.GetAsync("/admin/suppressions")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await stranger.PostAsync("/admin/suppressions", Http.Json("""{"userId":"u"}"""))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await stranger.DeleteAsync("/admin/suppressions/userId/u")).StatusCode);
    }

    [Fact]
    public async Task AnUnreadableListStopsTheStartNamingTheSetting()
    {
        Directory.CreateDirectory(_shared);
        await File.WriteAllTextAsync(Path.Combine(_shared, "list.json"), "{not json");

        var (exitCode, _, stderr) = await ApiProcess.RunToExitAsync(ApiProcess.BuiltDll, new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["Tracking__WriteKeys__k"] = "web",
            ["Tracking__Suppression__Path"] = Path.Combine(_shared, "list.json"),
        });

        Assert.Equal(3, exitCode);
        Assert.StartsWith("Tracking.Api cannot start: The suppression list ", stderr, StringComparison.Ordinal);
        Assert.Contains("(Tracking:Suppression:Path) cannot be read", stderr, StringComparison.Ordinal);
    }
}
