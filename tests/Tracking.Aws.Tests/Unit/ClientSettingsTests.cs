using Amazon;
using Amazon.Runtime;
using Amazon.S3;
using Tracking.Aws.Firehose;
using Tracking.Aws.Kinesis;
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
    public void AClientReadsItsSettingsOnceSoLaterChangesDoNotReachIt()
    {
        var settings = new AwsClientSettings { Region = "eu-west-1", ServiceUrl = new Uri("http://127.0.0.1:4567/"), Retry = new AwsRetryOptions { MaxAttempts = 7 } };
        using var http = new HttpClient();

        using var kinesis = new KinesisClient(http, settings, new BasicAWSCredentials("a", "b"));
        using var firehose = new FirehoseClient(http, settings, new BasicAWSCredentials("a", "b"));
        settings.Region = "us-east-1";
        settings.ServiceUrl = new Uri("http://127.0.0.2:4567/");

        Assert.Equal(("eu-west-1", new Uri("http://127.0.0.1:4567/")), (kinesis.Region, kinesis.Endpoint));
        Assert.Equal(("eu-west-1", new Uri("http://127.0.0.1:4567/")), (firehose.Region, firehose.Endpoint));
    }

    [Fact]
    public void WithRetryIsACopySoLaterChangesDoNotLeakIn()
    {
        var settings = new AwsClientSettings { Region = "eu-west-1", ServiceUrl = new Uri("http://127.0.0.1:4567/"), Retry = new AwsRetryOptions { MaxAttempts = 7 }, RequestTimeout = TimeSpan.FromSeconds(9) };

        var reading = settings.WithRetry(new AwsRetryOptions { MaxAttempts = 1 });
        settings.Region = "us-east-1";
        settings.Retry.MaxAttempts = 2;

        Assert.Equal(("eu-west-1", settings.ServiceUrl, 1, TimeSpan.FromSeconds(9)), (reading.Region, reading.ServiceUrl, reading.Retry.MaxAttempts, reading.RequestTimeout));
        Assert.Empty(reading.ValidateSettings("Consumer:Kinesis"));
    }

    [Fact]
    public void ApplyMapsTheSettingsOntoAnSdkClientConfig()
    {
        var emulator = new AmazonS3Config();
        new AwsClientSettings { Region = "eu-west-1", ServiceUrl = new Uri("http://127.0.0.1:4567/"), Retry = new AwsRetryOptions { MaxAttempts = 4 }, RequestTimeout = TimeSpan.FromSeconds(9) }.Apply(emulator);
        var regional = new AmazonS3Config();
        new AwsClientSettings { Region = "eu-central-1", Retry = new AwsRetryOptions { MaxAttempts = 1 } }.Apply(regional);

        Assert.Equal(("http://127.0.0.1:4567/", "eu-west-1", 3, TimeSpan.FromSeconds(9)), (emulator.ServiceURL, emulator.AuthenticationRegion, emulator.MaxErrorRetry, emulator.Timeout));
        Assert.Equal((RegionEndpoint.EUCentral1, 0, AwsClientSettings.DefaultRequestTimeout), (regional.RegionEndpoint, regional.MaxErrorRetry, regional.Timeout));
    }
}
