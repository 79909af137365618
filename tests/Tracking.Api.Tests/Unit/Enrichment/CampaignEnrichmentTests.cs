using System.Text.Json.Nodes;
using Tracking.Api.Enrichment;

namespace Tracking.Api.Tests.Unit.Enrichment;

public class CampaignEnrichmentTests
{
    private static readonly EnrichmentHarness Harness = new(new EnrichmentOptions { Device = false, Bots = BotAction.Off });

    private static JsonNode? CampaignOf(string page) =>
        Harness.ContextOf(null, $$"""{"page":{{page}}}""")!["campaign"];

    public static TheoryData<string, string> Urls => new()
    {
        // Google Ads auto-tagging with manual UTM tags.
        {
            "https://shop.example.com/shoes?utm_source=google&utm_medium=cpc&utm_campaign=winter_sale_2026&utm_term=running%20shoes&utm_content=ad_variant_b&gclid=EAIaIQobChMI8rLm4bqGgwMVjZBoCR0kEgZCEAAYASAAEgK1cfD_BwE",
            """{"source":"google","medium":"cpc","name":"winter_sale_2026","term":"running shoes","content":"ad_variant_b","gclid":"EAIaIQobChMI8rLm4bqGgwMVjZBoCR0kEgZCEAAYASAAEgK1cfD_BwE"}"""
        },
        // A Facebook share: only the click id.
        {
            "https://blog.example.com/post/42?fbclid=IwAR2F4-dbP0l7Mn1IawQQGCINEz7PYXQvwjNwB_qa2ofrHyiLjcbCRxTDMrY",
            """{"fbclid":"IwAR2F4-dbP0l7Mn1IawQQGCINEz7PYXQvwjNwB_qa2ofrHyiLjcbCRxTDMrY"}"""
        },
        // Mailchimp's tagging, '+' for spaces.
        {
            "https://www.example.com/?utm_source=Newsletter+Subscribers&utm_medium=email&utm_campaign=december_digest&mc_cid=8a1b2c3d4e&mc_eid=UNIQID",
            """{"source":"Newsletter Subscribers","medium":"email","name":"december_digest"}"""
        },
        // Microsoft Ads, parameter names in capitals, a fragment after the query.
        {
            "https://www.example.com/landing?UTM_SOURCE=bing&utm_medium=cpc&msclkid=9f0e6cd1b4c913a3b2e5f6a7b8c9d0e1#pricing",
            """{"source":"bing","medium":"cpc","msclkid":"9f0e6cd1b4c913a3b2e5f6a7b8c9d0e1"}"""
        },
        // TikTok and LinkedIn click ids, utm_id.
        {
            "https://app.example.com/signup?utm_id=1234&ttclid=E.C.P.CsABwx&li_fat_id=5c7a1f2e-6b8d",
            """{"id":"1234","ttclid":"E.C.P.CsABwx","li_fat_id":"5c7a1f2e-6b8d"}"""
        },
        // A single-page app that routes in the fragment.
        {
            "https://spa.example.com/#/offer?utm_source=twitter&utm_medium=social",
            """{"source":"twitter","medium":"social"}"""
        },
        // A repeated parameter: the first value, as analytics.js reads it.
        {
            "https://www.example.com/?utm_source=first&utm_source=second",
            """{"source":"first"}"""
        },
    };

    [Theory]
    [MemberData(nameof(Urls))]
    public void TheCampaignComesFromThePageUrl(string url, string expected)
    {
        var campaign = CampaignOf($$"""{"url":"{{url}}"}""");

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), campaign), campaign?.ToJsonString());
    }

    [Fact]
    public void ThePageSearchIsReadWhenTheUrlHasNoCampaign()
    {
        var campaign = CampaignOf("""{"url":"https://www.example.com/pricing","search":"?utm_source=partner&utm_medium=referral&utm_campaign=launch"}""");

        Assert.Equal("partner", campaign!["source"]!.GetValue<string>());
        Assert.Equal("launch", campaign["name"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("""{"url":"https://www.example.com/pricing?plan=pro&ref=nav"}""")]
    [InlineData("""{"url":"https://www.example.com/?utm_source="}""")]
    [InlineData("""{"path":"/","title":"Home"}""")]
    [InlineData("\"not an object\"")]
    public void APageWithoutCampaignParametersAddsNoCampaign(string page)
    {
        Assert.Null(CampaignOf(page));
    }

    [Fact]
    public void AnalyticsJsOwnCampaignIsKept()
    {
        var context = Harness.ContextOf(null, """{"campaign":{"name":"sdk"},"page":{"url":"https://www.example.com/?utm_campaign=url"}}""")!;

        Assert.Equal("sdk", context["campaign"]!["name"]!.GetValue<string>());
    }

    [Fact]
    public void EachMessageOfABatchGetsItsOwnPagesCampaign()
    {
        var json = """
            {"batch":[
              {"type":"page","userId":"u","context":{"page":{"url":"https://www.example.com/?utm_campaign=a"}}},
              {"type":"page","userId":"u","context":{"page":{"url":"https://www.example.com/?utm_campaign=b"}}}
            ]}
            """;
        var request = Tracking.Api.Ingestion.MessageParser.ParseBatch(System.Text.Encoding.UTF8.GetBytes(json));
        using var scratch = new Tracking.Api.Enrichment.EventEnricher.Scratch();
        var meta = Harness.Enricher.Describe(new Microsoft.AspNetCore.Http.DefaultHttpContext(), DateTimeOffset.UnixEpoch, "web");

        var names = request.Messages.Select(m => JsonNode.Parse(Harness.Enricher.Enrich(m, request, meta, scratch).Json)!["context"]!["campaign"]!["name"]!.GetValue<string>());

        Assert.Equal(["a", "b"], names);
    }

    [Fact]
    public void ASourceWithCampaignOffGetsNone()
    {
        var harness = new EnrichmentHarness(new EnrichmentOptions { Sources = { ["web"] = new SourceEnrichmentOptions { Campaign = false } } });

        Assert.Null(harness.ContextOf(null, """{"page":{"url":"https://www.example.com/?utm_campaign=a"}}""")!["campaign"]);
    }
}
