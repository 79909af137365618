using System.Text.Json.Nodes;
using Tracking.Api.Enrichment;
using static Tracking.Api.Tests.Unit.Enrichment.EnrichmentHarness;

namespace Tracking.Api.Tests.Unit.Enrichment;

public class ReferrerEnrichmentTests
{
    private static readonly EnrichmentHarness Harness = new(new EnrichmentOptions { Device = false, Bots = BotAction.Off, InternalHosts = ["checkout.example.net", ".example.org"] });

    private static JsonNode? ReferrerOf(string referrer, string url = "https://www.example.com/pricing") =>
        Harness.ContextOf(null, $$$"""{"page":{"url":"{{{url}}}","referrer":"{{{referrer}}}"}}""")!["referrer"];

    public static TheoryData<string, string, string, string> Referrers => new()
    {
        { "https://www.google.com/", "search", "Google", "www.google.com" },
        { "https://www.google.co.uk/search?q=running+shoes", "search", "Google", "www.google.co.uk" },
        { "https://www.bing.com/search?q=tracking+api", "search", "Bing", "www.bing.com" },
        { "https://duckduckgo.com/", "search", "DuckDuckGo", "duckduckgo.com" },
        { "https://yandex.ru/search/?text=shoes", "search", "Yandex", "yandex.ru" },
        { "https://search.yahoo.com/search?p=shoes", "search", "Yahoo!", "search.yahoo.com" },
        { "https://t.co/AbC123xYz", "social", "Twitter", "t.co" },
        { "https://l.facebook.com/l.php?u=https%3A%2F%2Fwww.example.com%2F", "social", "Facebook", "l.facebook.com" },
        { "https://m.facebook.com/", "social", "Facebook", "m.facebook.com" },
        { "https://www.linkedin.com/feed/", "social", "LinkedIn", "www.linkedin.com" },
        { "https://lnkd.in/eXaMpLe", "social", "LinkedIn", "lnkd.in" },
        { "https://news.ycombinator.com/item?id=38000000", "social", "Hacker News", "news.ycombinator.com" },
        { "https://out.reddit.com/t3_abc", "social", "Reddit", "out.reddit.com" },
        { "https://l.instagram.com/?u=https%3A%2F%2Fwww.example.com", "social", "Instagram", "l.instagram.com" },
        { "https://www.youtube.com/watch?v=dQw4w9WgXcQ", "social", "Youtube", "www.youtube.com" },
        { "https://mail.google.com/mail/u/0/", "email", "Gmail", "mail.google.com" },
        { "https://outlook.live.com/mail/0/inbox", "email", "Outlook.com", "outlook.live.com" },
        { "https://googleads.g.doubleclick.net/pagead/ads?client=ca-pub-1", "paid", "Google", "googleads.g.doubleclick.net" },
        { "https://www.example.com/blog/post-1", "internal", "", "www.example.com" },
        { "https://checkout.example.net/cart", "internal", "", "checkout.example.net" },
        { "https://docs.example.org/start", "internal", "", "docs.example.org" },
        { "https://example.org/", "internal", "", "example.org" },
        { "https://some-blog.example/2026/12/review", "unknown", "", "some-blog.example" },
    };

    [Theory]
    [MemberData(nameof(Referrers))]
    public void TheReferrerIsClassifiedByMediumAndSource(string referrer, string medium, string source, string host)
    {
        var classified = ReferrerOf(referrer);

        Assert.Equal(medium, At(classified, "medium"));
        Assert.Equal(source, At(classified, "source") ?? "");
        Assert.Equal(host, At(classified, "host"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("android-app://com.google.android.gm")]
    [InlineData("not a url")]
    public void AReferrerThatIsNoWebAddressAddsNothing(string referrer)
    {
        Assert.Null(ReferrerOf(referrer));
    }

    [Fact]
    public void AReferrerTheClientSetIsKept()
    {
        var context = Harness.ContextOf(null, """{"referrer":{"type":"dataxu","id":"abc"},"page":{"referrer":"https://t.co/x"}}""")!;

        Assert.Equal("dataxu", At(context, "referrer.type"));
        Assert.Null(At(context, "referrer.medium"));
    }

    [Fact]
    public void AnInternalHostSettingWithAPathIsRefusedNamingIt()
    {
        var options = new EnrichmentOptions { InternalHosts = ["https://example.com/"] };

        var results = options.Validate().ToList();

        Assert.Contains(results, r => r.StartsWith("Tracking:Enrichment:InternalHosts has 'https://example.com/'", StringComparison.Ordinal));
    }
}
