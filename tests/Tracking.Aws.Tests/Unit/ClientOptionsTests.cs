using Amazon.Runtime;
using Tracking.Aws.Kinesis;
using Tracking.Aws.Retries;

namespace Tracking.Aws.Tests.Unit;

public class ClientOptionsTests
{
    [Fact]
    public void DefaultsAreValid()
    {
        Assert.Empty(new AwsClientSettings().ValidateForClient("Kinesis"));
        Assert.Empty(new AwsClientSettings().ValidateForClient("Firehose"));
    }

    [Fact]
    public void ValidationListsEveryBrokenRuleNamingItsSetting()
    {
        var options = new AwsClientSettings
        {
            Region = "Not A Region",
            ServiceUrl = new Uri("/relative", UriKind.Relative),
            Retry = new AwsRetryOptions { MaxAttempts = 0, BaseDelay = TimeSpan.Zero, MaxDelay = TimeSpan.FromMilliseconds(-1) },
        };

        var errors = options.ValidateForClient("Kinesis");

        Assert.Collection(
            errors,
            e => Assert.StartsWith("Kinesis:Region ", e, StringComparison.Ordinal),
            e => Assert.StartsWith("Kinesis:ServiceUrl ", e, StringComparison.Ordinal),
            e => Assert.StartsWith("Kinesis:Retry:MaxAttempts must be between 1 and 20", e, StringComparison.Ordinal),
            e => Assert.StartsWith("Kinesis:Retry:BaseDelay ", e, StringComparison.Ordinal),
            e => Assert.StartsWith("Kinesis:Retry:MaxDelay ", e, StringComparison.Ordinal));
    }

    [Fact]
    public void AServiceUrlThatIsNotHttpIsRejected()
    {
        var options = new AwsClientSettings { ServiceUrl = new Uri("ftp://127.0.0.1/") };

        var error = Assert.Single(options.ValidateForClient("Firehose"));
        Assert.StartsWith("Firehose:ServiceUrl ", error, StringComparison.Ordinal);
    }

    [Fact]
    public void ConstructingAClientWithInvalidOptionsThrowsWithEveryError()
    {
        using var http = new HttpClient();
        var options = new AwsClientSettings { Region = "us-east-1", Retry = new AwsRetryOptions { MaxAttempts = 99, BaseDelay = TimeSpan.Zero } };

        var exception = Assert.Throws<ArgumentException>(() => new KinesisClient(http, options, new BasicAWSCredentials("a", "b")));

        Assert.Contains("Kinesis:Retry:MaxAttempts", exception.Message, StringComparison.Ordinal);
        Assert.Contains("Kinesis:Retry:BaseDelay", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ConfiguredRegionWinsOverTheEnvironment()
    {
        var options = new AwsClientSettings { Region = "eu-west-1" };

        Assert.Equal("eu-west-1", options.ResolveRegion("Kinesis", Environment(("AWS_REGION", "us-east-2"))));
    }

    [Fact]
    public void AwsRegionWinsOverAwsDefaultRegion()
    {
        var region = new AwsClientSettings().ResolveRegion("Kinesis", Environment(("AWS_REGION", "us-east-2"), ("AWS_DEFAULT_REGION", "ap-south-1")));

        Assert.Equal("us-east-2", region);
    }

    [Fact]
    public void AwsDefaultRegionIsTheLastResort()
    {
        Assert.Equal("ap-south-1", new AwsClientSettings().ResolveRegion("Kinesis", Environment(("AWS_DEFAULT_REGION", "ap-south-1"))));
    }

    [Fact]
    public void NoRegionAnywhereFailsNamingTheSettingAndTheVariables()
    {
        var exception = Assert.Throws<InvalidOperationException>(() => new AwsClientSettings().ResolveRegion("Firehose", Environment()));

        Assert.Contains("Firehose:Region", exception.Message, StringComparison.Ordinal);
        Assert.Contains("AWS_REGION", exception.Message, StringComparison.Ordinal);
        Assert.Contains("AWS_DEFAULT_REGION", exception.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("kinesis", "eu-west-1", "https://kinesis.eu-west-1.amazonaws.com/")]
    [InlineData("firehose", "us-east-1", "https://firehose.us-east-1.amazonaws.com/")]
    [InlineData("kinesis", "cn-north-1", "https://kinesis.cn-north-1.amazonaws.com.cn/")]
    public void TheRegionalEndpointIsUsedWithoutAServiceUrl(string prefix, string region, string expected)
    {
        Assert.Equal(new Uri(expected), new AwsClientSettings().ResolveEndpoint(prefix, region));
    }

    [Fact]
    public void AServiceUrlReplacesTheEndpointButNotTheSigningRegion()
    {
        using var http = new HttpClient();
        var options = new AwsClientSettings { Region = "eu-central-1", ServiceUrl = new Uri("http://127.0.0.1:4567/") };

        using var client = new KinesisClient(http, options, new BasicAWSCredentials("a", "b"));

        Assert.Equal(new Uri("http://127.0.0.1:4567/"), client.Endpoint);
        Assert.Equal("eu-central-1", client.Region);
    }

    private static Func<string, string?> Environment(params (string Name, string Value)[] variables) =>
        name => variables.FirstOrDefault(v => v.Name == name).Value;
}
