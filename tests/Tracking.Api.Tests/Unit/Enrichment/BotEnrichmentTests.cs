using System.Text.Json;
using Tracking.Api.Enrichment;
using static Tracking.Api.Tests.Unit.Enrichment.EnrichmentHarness;

namespace Tracking.Api.Tests.Unit.Enrichment;

public class BotEnrichmentTests
{
    private static readonly EnrichmentHarness Flagging = new(new EnrichmentOptions());

    public static TheoryData<string, string> Bots => new()
    {
        { "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "Googlebot" },
        { "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.71 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "Googlebot" },
        { "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)", "bingbot" },
        { "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)", "facebookexternalhit" },
        { "Twitterbot/1.0", "Twitterbot" },
        { "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.0; +https://openai.com/gptbot)", "GPTBot" },
        { "Mozilla/5.0 (compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)", "UptimeRobot" },
        { "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.6099.109 Safari/537.36", "HeadlessChrome" },
        { "curl/8.4.0", "curl" },
        { "python-requests/2.31.0", "python-requests" },
        { "Go-http-client/1.1", "Go-http-client" },
    };

    public static TheoryData<string> People => new()
    {
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Safari/605.1.15",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (Linux; Android 14; Pixel 8 Pro) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.144 Mobile Safari/537.36",
        "Mozilla/5.0 (Linux; Android 13; SAMSUNG SM-A536B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBDV/iPhone14,5;FBMD/iPhone;FBSN/iOS;FBSV/16.6;FBSS/3;FBID/phone;FBLC/en_US;FBOP/5]",
        "Dalvik/2.1.0 (Linux; U; Android 13; Pixel 7 Build/TQ3A.230901.001)",
        "analytics-node/6.2.0",
        "analytics-python/2.2.2",
        "analytics-ruby/2.4.0",
        "analytics-android/4.11.3",
        "analytics-ios/4.1.8",
    };

    [Theory]
    [MemberData(nameof(Bots))]
    public void AKnownCrawlerOrMonitorIsFlaggedInContextBot(string userAgent, string name)
    {
        var context = Flagging.ContextOf(userAgent)!;

        Assert.Equal(name, At(context, "bot.name"));
    }

    [Theory]
    [MemberData(nameof(People))]
    public void BrowsersAppsAndAnalyticsSdksAreNotFlagged(string userAgent)
    {
        Assert.Null(Flagging.ContextOf(userAgent)!["bot"]);
    }

    [Fact]
    public void EveryExampleTheListGivesForItsFirstHundredPatternsIsFlagged()
    {
        // The list's own examples (its "instances"), from the file the build installed.
        using var json = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(EnrichmentData.Folder, EnrichmentData.BotPatterns)));
        var examples = json.RootElement.EnumerateArray().Take(100)
            .SelectMany(e => e.TryGetProperty("instances", out var i) ? i.EnumerateArray().Select(x => x.GetString()!) : [])
            .ToList();

        Assert.True(examples.Count > 100, $"only {examples.Count} examples");
        Assert.All(examples, ua => Assert.NotNull(Flagging.ContextOf(ua)!["bot"]));
    }

    [Fact]
    public void ARefusingSourceDropsTheBotsEventsAndKeepsPeoples()
    {
        var harness = new EnrichmentHarness(new EnrichmentOptions { Sources = { ["web"] = new SourceEnrichmentOptions { Bots = BotAction.Refuse } } });

        Assert.Null(harness.ContextOf("Twitterbot/1.0", source: "web"));
        Assert.NotNull(harness.ContextOf("Twitterbot/1.0", source: "server")!["bot"]);
        Assert.NotNull(harness.ContextOf("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0", source: "web"));
    }

    [Fact]
    public void AQuarantiningSourceFlagsTheBotsEventsAndRoutesThemAwayButNotPeoples()
    {
        var harness = new EnrichmentHarness(new EnrichmentOptions { Sources = { ["web"] = new SourceEnrichmentOptions { Bots = BotAction.Quarantine } } });

        Assert.Equal("Twitterbot", At(harness.ContextOf("Twitterbot/1.0", source: "web"), "bot.name"));
        Assert.Equal(EnrichmentVerdict.Quarantine, harness.LastVerdict);
        Assert.NotNull(harness.ContextOf("Twitterbot/1.0", source: "server")!["bot"]);
        Assert.Equal(EnrichmentVerdict.Store, harness.LastVerdict);
        Assert.Null(harness.ContextOf("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0", source: "web")!["bot"]);
        Assert.Equal(EnrichmentVerdict.Store, harness.LastVerdict);
    }

    [Fact]
    public void BotsOffLooksAtNothing()
    {
        var harness = new EnrichmentHarness(new EnrichmentOptions { Bots = BotAction.Off, Device = false });

        var context = harness.ContextOf("Twitterbot/1.0")!;

        Assert.Null(context["bot"]);
        Assert.Null(context["browser"]);
    }

    [Fact]
    public void ABotTheClientNamedItselfIsKept()
    {
        var context = Flagging.ContextOf("Twitterbot/1.0", """{"bot":{"name":"our-synthetic-check"}}""")!;

        Assert.Equal("our-synthetic-check", At(context, "bot.name"));
    }

    [Fact]
    public void ABotsSettingOutOfRangeIsRefusedNamingIt()
    {
        var options = new EnrichmentOptions { Sources = { ["web"] = new SourceEnrichmentOptions { Bots = (BotAction)7 } } };

        var results = options.Validate().ToList();

        Assert.Contains(results, r => r.Contains("Tracking:Enrichment:Sources:web:Bots is 7", StringComparison.Ordinal));
    }
}
