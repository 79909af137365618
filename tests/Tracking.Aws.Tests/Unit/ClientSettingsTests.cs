using Tracking.Aws.Retries;

namespace Tracking.Aws.Tests.Unit;

/// <summary>The one settings type the API's sinks and the consumer bind under their own sections.</summary>
public class ClientSettingsTests
{
    [Fact]
    public void TheRegionDefaultsToAwsRegionThenAwsDefaultRegion()
    {
        Assert.Equal("eu-west-1", AwsClientSettings.DefaultRegion(v => v switch { "AWS_REGION" => " eu-west-1 ", "AWS_DEFAULT_REGION" => "us-east-1", _ => null }));
        Assert.Equal("us-east-1", AwsClientSettings.DefaultRegion(v => v == "AWS_DEFAULT_REGION" ? "us-east-1" : " "));
        Assert.Null(AwsClientSettings.DefaultRegion(_ => null));
    }

    [Fact]
    public void EveryBrokenRuleNamesItsSettingUnderTheSectionThatBindsIt()
    {
        var settings = new AwsClientSettings
        {
            Region = "Europe",
            ServiceUrl = new Uri("ftp://localhost/"),
            Retry = new AwsRetryOptions { MaxAttempts = 0 },
            RequestTimeout = TimeSpan.Zero,
        };

        Assert.Equal(
            ["Consumer:Kinesis:Region", "Consumer:Kinesis:ServiceUrl", "Consumer:Kinesis:Retry:MaxAttempts", "Consumer:Kinesis:RequestTimeout"],
            settings.ValidateSettings("Consumer:Kinesis").Select(e => e.Split(' ')[0]));
        Assert.StartsWith("No AWS region is configured: set Tracking:Kinesis:Region", Assert.Single(new AwsClientSettings().ValidateSettings("Tracking:Kinesis")), StringComparison.Ordinal);
    }

    [Fact]
    public void ClientOptionsAreACopySoLaterChangesDoNotReachARunningClient()
    {
        var settings = new AwsClientSettings { Region = "eu-west-1", ServiceUrl = new Uri("http://127.0.0.1:4567/"), Retry = new AwsRetryOptions { MaxAttempts = 7 } };

        var kinesis = settings.ToKinesisClientOptions();
        var firehose = settings.ToFirehoseClientOptions();
        settings.Retry.MaxAttempts = 1;

        Assert.Equal(("eu-west-1", settings.ServiceUrl, 7), (kinesis.Region, kinesis.ServiceUrl, kinesis.Retry.MaxAttempts));
        Assert.Equal(7, firehose.Retry.MaxAttempts);
        Assert.Empty(kinesis.Validate());
    }
}
