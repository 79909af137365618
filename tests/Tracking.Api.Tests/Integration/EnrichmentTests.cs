using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Tracking.Api.Tests.Support;
using Tracking.Testing;

namespace Tracking.Api.Tests.Integration;

/// <summary>Events posted to the real server come out of the File sink enriched as their source's settings say.</summary>
public class EnrichmentTests
{
    private const string Chrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";

    private static string? At(JsonNode? node, string path)
    {
        foreach (var part in path.Split('.'))
        {
            node = node?[part];
        }

        return node?.ToString();
    }

    [Fact]
    public async Task APostedBatchIsStoredWithDeviceAndBotAndARefusedBotIsCountedNotStored()
    {
        await using var api = new TrackingApiFactory(OperationsAccessTests.WithAdminKey(
            ("Tracking:WriteKeys:monitor-key", "monitors"),
            ($"Tracking:Enrichment:Sources:{TrackingApiFactory.SourceName}:Bots", "Refuse"),
            // Privacy rules run after enrichment: what enrichment adds is covered by them like what the client sent.
            ($"Tracking:Privacy:Sources:{TrackingApiFactory.SourceName}:0:Path", "context.browser.version"),
            ($"Tracking:Privacy:Sources:{TrackingApiFactory.SourceName}:0:Action", "Drop")));
        using var writer = api.CreateAuthenticatedClient();
        writer.DefaultRequestHeaders.UserAgent.ParseAdd(Chrome);

        using var batch = await writer.PostAsync("/v1/batch", Http.Json(
            """
            {"batch":[
              {"type":"page","userId":"person","name":"Home"},
              {"type":"track","userId":"crawler","event":"Viewed","context":{"userAgent":"Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)"}},
              {"type":"track","userId":"sdk","event":"Ordered","context":{"os":{"name":"iOS","version":"17.2"}}}
            ]}
            """));
        Assert.Equal(HttpStatusCode.OK, batch.StatusCode);
        Assert.Equal(3, (await batch.ReadJsonAsync())["accepted"]!.GetValue<int>());

        // A source that flags (the default): the monitor's events are stored with context.bot.
        using var monitor = api.CreateClient();
        monitor.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String("monitor-key:"u8.ToArray()));
        monitor.DefaultRequestHeaders.UserAgent.ParseAdd("Mozilla/5.0 (compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)");
        using var check = await monitor.PostAsync("/v1/track", Http.Json("""{"userId":"robot","event":"Checked"}"""));
        Assert.Equal(HttpStatusCode.OK, check.StatusCode);

        // A request of bots only is still a 200: the SDK must not send it again.
        using var onlyBots = await writer.PostAsync("/v1/track", Http.Json("""{"userId":"crawler","event":"E","context":{"userAgent":"Twitterbot/1.0"}}"""));
        Assert.Equal(HttpStatusCode.OK, onlyBots.StatusCode);
        Assert.Equal(1, (await onlyBots.ReadJsonAsync())["accepted"]!.GetValue<int>());

        using var admin = api.CreateClient();
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", OperationsAccessTests.AdminKey);
        JsonNode bots = new JsonObject();
        await Eventually.TrueAsync(
            async () =>
            {
                using var response = await admin.GetAsync("/status.json");
                var totals = (await response.ReadJsonAsync())["totals"]!;
                bots = totals["bots"]!;
                return totals["delivered"]!.GetValue<long>() == 3;
            },
            "the three stored events are delivered");
        Assert.Equal(2, bots["refused"]!.GetValue<long>());
        Assert.Equal(1, bots["flagged"]!.GetValue<long>());

        await api.ShutdownAsync();
        var events = Outbox.ReadEvents(api.OutboxDirectory).ToDictionary(e => e["userId"]!.GetValue<string>());
        Assert.Equal(["person", "robot", "sdk"], events.Keys.Order());

        var person = events["person"]["context"]!;
        Assert.Equal("Chrome", At(person, "browser.name"));
        Assert.Null(At(person, "browser.version"));
        Assert.Equal("Windows", At(person, "os.name"));
        Assert.Null(person["bot"]);

        // The SDK's own OS stays; what it left out is filled.
        var sdk = events["sdk"]["context"]!;
        Assert.Equal("iOS", At(sdk, "os.name"));
        Assert.Equal("Chrome", At(sdk, "browser.name"));

        Assert.Equal("UptimeRobot", At(events["robot"]["context"], "bot.name"));
    }

    [Fact]
    public async Task ABotOfASourceThatQuarantinesIsAnswered200HeldOutOfTheStreamAndCanBeReadmitted()
    {
        await using var api = new TrackingApiFactory(OperationsAccessTests.WithAdminKey(
            ($"Tracking:Enrichment:Sources:{TrackingApiFactory.SourceName}:Bots", "Quarantine")));
        using var writer = api.CreateAuthenticatedClient();
        writer.DefaultRequestHeaders.UserAgent.ParseAdd(Chrome);
        using var batch = await writer.PostAsync("/v1/batch", Http.Json(
            """
            {"batch":[
              {"type":"track","messageId":"m-person","userId":"person","event":"Viewed"},
              {"type":"track","messageId":"m-crawler","userId":"crawler","event":"Viewed","context":{"userAgent":"Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)"}}
            ]}
            """));
        Assert.Equal(HttpStatusCode.OK, batch.StatusCode);
        Assert.Equal(2, (await batch.ReadJsonAsync())["accepted"]!.GetValue<int>());

        using var admin = api.CreateClient();
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", OperationsAccessTests.AdminKey);
        await Eventually.TrueAsync(
            async () => (await (await admin.GetAsync("/status.json")).ReadJsonAsync())["totals"]!["delivered"]!.GetValue<long>() == 1,
            "the person's event is delivered");
        var totals = (await (await admin.GetAsync("/status.json")).ReadJsonAsync())["totals"]!;
        Assert.Equal(1, totals["bots"]!["quarantined"]!.GetValue<long>());

        // Held with its context.bot, found by the bot filter and by no other.
        var bots = await (await admin.GetAsync("/admin/quarantine?bot=true")).ReadJsonAsync();
        var held = Assert.Single(bots["events"]!.AsArray())!;
        Assert.Equal("m-crawler", held["messageId"]!.GetValue<string>());
        Assert.Equal("bingbot", At(held["context"], "bot.name"));
        Assert.Equal(0, (await (await admin.GetAsync("/admin/quarantine?bot=false")).ReadJsonAsync())["matching"]!.GetValue<int>());

        var readmitted = await (await admin.PostAsync("/admin/quarantine/readmit", Http.Json("""{"bot":true}"""))).ReadJsonAsync();
        Assert.Equal(1, readmitted["taken"]!.GetValue<int>());
        await Eventually.TrueAsync(
            async () => (await (await admin.GetAsync("/status.json")).ReadJsonAsync())["totals"]!["delivered"]!.GetValue<long>() == 2,
            "the re-admitted bot's event is delivered");

        await api.ShutdownAsync();
        var stored = Outbox.ReadEvents(api.OutboxDirectory).Select(e => e["messageId"]!.GetValue<string>()).Order(StringComparer.Ordinal);
        Assert.Equal(["m-crawler", "m-person"], stored);
    }
}
