using Tracking.Api.Enrichment;
using static Tracking.Api.Tests.Unit.Enrichment.EnrichmentHarness;

namespace Tracking.Api.Tests.Unit.Enrichment;

public class DeviceEnrichmentTests
{
    private static readonly EnrichmentHarness Harness = new(new EnrichmentOptions());

    /// <summary>User agents of real browsers, phones, tablets, apps and SDKs, with what uap-core 0.18.0 says of them ("" where it says nothing).</summary>
    public static TheoryData<string, string, string, string, string, string, string> UserAgents => new()
    {
        { "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36", "Chrome", "120.0.0", "Windows", "10", "", "" },
        { "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0", "Firefox", "121.0", "Windows", "10", "", "" },
        { "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91", "Edge", "120.0.2210", "Windows", "10", "", "" },
        { "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 OPR/106.0.0.0", "Opera", "106.0.0", "Windows", "10", "", "" },
        { "Mozilla/5.0 (Windows NT 6.1; WOW64; Trident/7.0; rv:11.0) like Gecko", "IE", "11.0", "Windows", "7", "", "" },
        { "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Safari/605.1.15", "Safari", "17.2", "Mac OS X", "10.15.7", "Apple", "Mac" },
        { "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36", "Chrome", "120.0.0", "Mac OS X", "10.15.7", "Apple", "Mac" },
        { "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36", "Chrome", "120.0.0", "Linux", "", "", "" },
        { "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0", "Firefox", "121.0", "Ubuntu", "", "", "" },
        { "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36", "Chrome", "120.0.0", "Chrome OS", "14541.0.0", "", "" },
        { "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1", "Mobile Safari", "17.2", "iOS", "17.2.1", "Apple", "iPhone" },
        { "Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1", "Mobile Safari", "16.6", "iOS", "16.6", "Apple", "iPad" },
        { "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/120.0.6099.119 Mobile/15E148 Safari/604.1", "Chrome Mobile iOS", "120.0.6099", "iOS", "17.1", "Apple", "iPhone" },
        { "Mozilla/5.0 (iPhone; CPU iPhone OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBDV/iPhone14,5;FBMD/iPhone;FBSN/iOS;FBSV/16.6;FBSS/3;FBID/phone;FBLC/en_US;FBOP/5]", "Facebook", "", "iOS", "16.6", "Apple", "iPhone14,5" },
        { "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36", "Chrome Mobile", "120.0.0", "Android", "10", "Generic_Android", "K" },
        { "Mozilla/5.0 (Linux; Android 13; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/112.0.0.0 Mobile Safari/537.36", "Chrome Mobile", "112.0.0", "Android", "13", "Samsung", "SM-S918B" },
        { "Mozilla/5.0 (Linux; Android 14; Pixel 8 Pro) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.144 Mobile Safari/537.36", "Chrome Mobile", "120.0.6099", "Android", "14", "Google", "Pixel 8 Pro" },
        { "Mozilla/5.0 (Linux; Android 13; SAMSUNG SM-A536B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36", "Samsung Internet", "23.0", "Android", "13", "Samsung", "SM-A536B" },
        { "Mozilla/5.0 (Android 14; Mobile; rv:121.0) Gecko/121.0 Firefox/121.0", "Firefox Mobile", "121.0", "Android", "14", "Generic", "Smartphone" },
        { "Mozilla/5.0 (Linux; Android 12; M2101K6G) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.6045.193 Mobile Safari/537.36", "Chrome Mobile", "119.0.6045", "Android", "12", "Generic_Android", "M2101K6G" },
        { "Mozilla/5.0 (Linux; Android 11; SM-T870) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36", "Chrome", "120.0.0", "Android", "11", "Generic_Android_Tablet", "SM-T870" },
        { "Mozilla/5.0 (SMART-TV; Linux; Tizen 6.0) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/4.0 Chrome/76.0.3809.146 TV Safari/537.36", "Samsung Internet", "4.0", "Tizen", "6.0", "Samsung", "SMART-TV" },
        { "Dalvik/2.1.0 (Linux; U; Android 13; Pixel 7 Build/TQ3A.230901.001)", "Android", "13", "Android", "13", "Google", "Pixel 7" },
        { "okhttp/4.12.0", "okhttp", "4.12.0", "", "", "", "" },
        { "curl/8.4.0", "curl", "8.4.0", "", "", "", "" },
        { "python-requests/2.31.0", "Python Requests", "2.31", "", "", "", "" },
        { "analytics-node/6.2.0", "", "", "", "", "", "" },
        { "analytics-python/2.2.2", "", "", "", "", "", "" },
        { "analytics-ruby/2.4.0", "", "", "", "", "", "" },
        { "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "Googlebot", "2.1", "", "", "Spider", "Desktop" },
        { "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)", "bingbot", "2.0", "", "", "Spider", "Desktop" },
        { "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)", "FacebookBot", "1.1", "", "", "Spider", "Desktop" },
        { "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.6099.109 Safari/537.36", "HeadlessChrome", "120.0.6099", "Linux", "", "", "" },
    };

    [Theory]
    [MemberData(nameof(UserAgents))]
    public void TheUserAgentHeaderGivesBrowserOsAndDevice(string userAgent, string browser, string browserVersion, string os, string osVersion, string manufacturer, string model)
    {
        var context = Harness.ContextOf(userAgent)!;

        Assert.Equal(browser, At(context, "browser.name") ?? "");
        Assert.Equal(browserVersion, At(context, "browser.version") ?? "");
        Assert.Equal(os, At(context, "os.name") ?? "");
        Assert.Equal(osVersion, At(context, "os.version") ?? "");
        Assert.Equal(manufacturer, At(context, "device.manufacturer") ?? "");
        Assert.Equal(model, At(context, "device.model") ?? "");
    }

    [Fact]
    public void WhatTheSdkSetIsKeptAndOnlyTheRestIsFilled()
    {
        // A mobile SDK's own device and OS, sent from a server whose User-Agent is a desktop browser's.
        var context = Harness.ContextOf(
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
            """{"device":{"manufacturer":"Apple","model":"iPhone15,2","type":"ios"},"os":{"name":"iOS","version":"17.2"}}""")!;

        Assert.Equal("iPhone15,2", At(context, "device.model"));
        Assert.Equal("ios", At(context, "device.type"));
        Assert.Equal("iOS", At(context, "os.name"));
        Assert.Equal("Chrome", At(context, "browser.name"));
        Assert.Single(context, m => m.Key == "device");
    }

    [Fact]
    public void TheContextsOwnUserAgentIsParsedRatherThanTheRequestHeader()
    {
        // A server-side SDK forwards the browser's user agent in context.userAgent; the header is the SDK's.
        var context = Harness.ContextOf(
            "analytics-node/6.2.0",
            """{"userAgent":"Mozilla/5.0 (iPhone; CPU iPhone OS 17_2_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1"}""")!;

        Assert.Equal("Mobile Safari", At(context, "browser.name"));
        Assert.Equal("iPhone", At(context, "device.model"));
    }

    [Fact]
    public void ClientHintHeadersGiveWhatAFrozenChromeUserAgentHides()
    {
        var context = Harness.ContextOf(
            "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36",
            headers: new Dictionary<string, string>
            {
                ["Sec-CH-UA-Model"] = "\"Pixel 7\"",
                ["Sec-CH-UA-Platform"] = "\"Android\"",
                ["Sec-CH-UA-Platform-Version"] = "\"14.0.0\"",
                ["Sec-CH-UA-Full-Version-List"] = "\"Not_A Brand\";v=\"8.0.0.0\", \"Chromium\";v=\"120.0.6099.144\", \"Google Chrome\";v=\"120.0.6099.144\"",
            })!;

        Assert.Equal("Pixel 7", At(context, "device.model"));
        Assert.Equal("Pixel 7", At(context, "device.name"));
        Assert.Equal("14.0.0", At(context, "os.version"));
        Assert.Equal("Chrome Mobile", At(context, "browser.name"));
        Assert.Equal("120.0.6099.144", At(context, "browser.version"));
    }

    [Theory]
    [InlineData("\"15.0.0\"", "11")]
    [InlineData("\"10.0.0\"", "10")]
    public void AWindowsPlatformVersionHintNamesWindows10Or11(string platformVersion, string expected)
    {
        var context = Harness.ContextOf(
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
            headers: new Dictionary<string, string> { ["Sec-CH-UA-Platform-Version"] = platformVersion })!;

        Assert.Equal(expected, At(context, "os.version"));
    }

    [Fact]
    public void AnalyticsJsUserAgentDataIsReadAsClientHints()
    {
        var context = Harness.ContextOf(
            "analytics-node/6.2.0",
            """
            {"userAgent":"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.0.0",
             "userAgentData":{"brands":[{"brand":"Microsoft Edge","version":"120"}],"mobile":false,"platform":"Windows","platformVersion":"15.0.0",
              "fullVersionList":[{"brand":"Not_A Brand","version":"8.0.0.0"},{"brand":"Microsoft Edge","version":"120.0.2210.91"}]}}
            """)!;

        Assert.Equal("Edge", At(context, "browser.name"));
        Assert.Equal("120.0.2210.91", At(context, "browser.version"));
        Assert.Equal("11", At(context, "os.version"));
    }

    [Fact]
    public void ASourceWithDeviceOffGetsNothingAdded()
    {
        var harness = new EnrichmentHarness(new EnrichmentOptions { Sources = { ["server"] = new SourceEnrichmentOptions { Device = false } } });

        var off = harness.ContextOf("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0", source: "server")!;
        var on = harness.ContextOf("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0", source: "web")!;

        Assert.Equal(["ip", "userAgent"], off.Select(m => m.Key).Order());
        Assert.Equal("Firefox", At(on, "browser.name"));
    }

    [Fact]
    public void ABatchContextsUserAgentAndDeviceCountAsTheMessages()
    {
        var json = """
            {"context":{"userAgent":"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0","os":{"name":"Windows","version":"11"}},
             "batch":[{"type":"track","userId":"u","event":"E"}]}
            """;
        var context = Harness.Enrich(json, userAgent: "curl/8.4.0")!["context"]!;

        Assert.Equal("Firefox", At(context, "browser.name"));
        Assert.Equal("11", At(context, "os.version"));
    }

    [Fact]
    public void AContextThatIsNotAnObjectMemberByMemberStillGetsTheAdditions()
    {
        // The member-by-member path (an address to anonymize) writes the additions too.
        var harness = new EnrichmentHarness(new EnrichmentOptions(), new ClientIpOptions { Anonymize = true });
        var context = harness.ContextOf("curl/8.4.0", """{"ip":"198.51.100.23","locale":"de-DE"}""")!;

        Assert.Equal("198.51.100.0", At(context, "ip"));
        Assert.Equal("curl", At(context, "browser.name"));
        Assert.Equal("de-DE", At(context, "locale"));
    }

    [Fact]
    public void TheUserAgentCacheHoldsAtMostItsLimit()
    {
        var cache = new BoundedCache<int>(100);
        for (var i = 0; i < 1000; i++)
        {
            cache.GetOrAdd($"agent-{i}", _ => i);
        }

        Assert.InRange(cache.Count, 1, 100);
        Assert.Equal(999, cache.GetOrAdd("agent-999", _ => -1));
    }

    [Fact]
    public void ACacheEntriesSettingOutOfRangeIsRefusedNamingIt()
    {
        var results = new EnrichmentOptions { CacheEntries = 10 }.Validate().ToList();

        Assert.Contains(results, r => r.Contains("Tracking:Enrichment:CacheEntries is 10", StringComparison.Ordinal));
    }

    [Fact]
    public void AMissingPatternFileStopsTheStartNamingIt()
    {
        var folder = Directory.CreateTempSubdirectory().FullName;

        var ex = Assert.Throws<Tracking.ServiceDefaults.StartRefusedException>(() => new ContextEnrichment(new EnrichmentOptions(), folder, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance));

        Assert.Contains("regexes.yaml", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Tracking:Enrichment:Device", ex.Message, StringComparison.Ordinal);
    }
}
