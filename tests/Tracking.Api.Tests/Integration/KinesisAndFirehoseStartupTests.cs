using System.Net;
using Tracking.Api.Tests.Support;

namespace Tracking.Api.Tests.Integration;

/// <summary>The stream sinks' settings are checked when the app starts, and only when their sink is the one selected.</summary>
public class KinesisAndFirehoseStartupTests
{
    [Fact]
    public async Task TheKinesisSinkWithoutAStreamNameRefusesToStartAndSaysWhichSettingToSet()
    {
        var error = await StartupTests.StartFailsAsync("Production", ("Tracking:WriteKeys:k", "source"), ("Tracking:Sink", "Kinesis"), ("AWS_REGION", "eu-west-1"));

        Assert.Contains("Tracking:Kinesis:StreamName is required when Tracking:Sink is Kinesis", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheFirehoseSinkWithABadEndpointRefusesToStartAndSaysWhichSettingToSet()
    {
        var error = await StartupTests.StartFailsAsync("Production", ("Tracking:WriteKeys:k", "source"), ("Tracking:Sink", "Firehose"), ("Tracking:Firehose:DeliveryStreamName", "events"),
            ("Tracking:Firehose:Region", "eu-west-1"), ("Tracking:Firehose:ServiceUrl", "ftp://localhost"));

        Assert.Contains("Tracking:Firehose:ServiceUrl must be an absolute http or https URL", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StreamSettingsAreNotCheckedWhenTheFileSinkIsSelected()
    {
        await using var api = new TrackingApiFactory(new Dictionary<string, string?>
        {
            ["Tracking:Kinesis:Region"] = "not a region",
            ["Tracking:Firehose:ServiceUrl"] = "ftp://localhost",
        });
        using var client = api.CreateAuthenticatedClient();

        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("/v1/track", Http.Json("""{"userId":"u","event":"E"}"""))).StatusCode);
    }
}
