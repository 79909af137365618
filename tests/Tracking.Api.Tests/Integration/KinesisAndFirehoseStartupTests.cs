using System.Net;
using System.Reflection;
using Microsoft.Extensions.Options;
using Tracking.Api.Tests.Support;

namespace Tracking.Api.Tests.Integration;

/// <summary>The stream sinks' settings are checked when the app starts, and only when their sink is the one selected.</summary>
public class KinesisAndFirehoseStartupTests
{
    /// <summary>Runs the real entry point with settings on the command line and returns why it refused to start.</summary>
    private static async Task<Exception> StartFailsAsync(params string[] settings)
    {
        var outbox = Path.Combine(Path.GetTempPath(), "tracking-tests", Guid.NewGuid().ToString("N"));
        string[] args = ["--environment=Production", "--urls=http://127.0.0.1:0", $"--Tracking:File:Directory={outbox}", "--Tracking:WriteKeys:k=source", .. settings];
        var run = Task.Run(() => typeof(Program).Assembly.EntryPoint!.Invoke(null, [args]));
        var ex = await Assert.ThrowsAsync<TargetInvocationException>(() => run.WaitAsync(TimeSpan.FromSeconds(30)));
        return ex.InnerException!;
    }

    [Fact]
    public async Task TheKinesisSinkWithoutAStreamNameRefusesToStartAndSaysWhichSettingToSet()
    {
        var ex = await StartFailsAsync("--Tracking:Sink=Kinesis", "--AWS_REGION=eu-west-1");

        Assert.IsType<OptionsValidationException>(ex);
        Assert.Contains("Tracking:Kinesis:StreamName is required when Tracking:Sink is Kinesis", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheFirehoseSinkWithABadEndpointRefusesToStartAndSaysWhichSettingToSet()
    {
        var ex = await StartFailsAsync("--Tracking:Sink=Firehose", "--Tracking:Firehose:DeliveryStreamName=events", "--Tracking:Firehose:Region=eu-west-1", "--Tracking:Firehose:ServiceUrl=ftp://localhost");

        Assert.IsType<OptionsValidationException>(ex);
        Assert.Contains("Tracking:Firehose:ServiceUrl must be an absolute http or https URL", ex.Message, StringComparison.Ordinal);
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
