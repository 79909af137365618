using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Tracking.Api.Delivery.Firehose;
using Tracking.Api.Delivery.Kinesis;

namespace Tracking.Api.Tests.Unit;

/// <summary>The Kinesis and Firehose settings as the app binds and checks them at start.</summary>
public class KinesisAndFirehoseOptionsTests
{
    private static T Bind<T>(Action<IServiceCollection> add, params (string Key, string? Value)[] settings)
        where T : class
    {
        // Later settings win, as later configuration sources do.
        var all = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in settings)
        {
            all[key] = value;
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(all).Build();
        var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration);
        add(services);
        return services.BuildServiceProvider().GetRequiredService<IOptions<T>>().Value;
    }

    private static KinesisSinkOptions Kinesis(params (string Key, string? Value)[] settings) => Bind<KinesisSinkOptions>(s => s.AddKinesisSink(), settings);

    private static FirehoseSinkOptions Firehose(params (string Key, string? Value)[] settings) => Bind<FirehoseSinkOptions>(s => s.AddFirehoseSink(), settings);

    private static string Refused(Action bind) => Assert.Throws<OptionsValidationException>(bind).Message;

    [Fact]
    public void KinesisDefaultsAreTheShardQuotasAndTheRegionComesFromAwsRegionThenAwsDefaultRegion()
    {
        var options = Kinesis(("Tracking:Kinesis:StreamName", "events"), ("AWS_REGION", "eu-west-1"), ("AWS_DEFAULT_REGION", "us-east-1"));

        Assert.Equal("eu-west-1", options.Region);
        Assert.Null(options.ServiceUrl);
        Assert.Equal(1_000, options.ShardRecordsPerSecond);
        Assert.Equal(1024 * 1024, options.ShardBytesPerSecond);
        Assert.Equal(TimeSpan.FromSeconds(30), options.RequestTimeout);
        Assert.Equal(TimeSpan.FromMinutes(1), options.RefreshInterval);
        Assert.False(options.Aggregation);
        Assert.Equal(24 * 1024, options.AggregationMaxBytes);
        Assert.Equal(1, options.Retry.MaxAttempts);
        Assert.Equal("us-east-1", Kinesis(("Tracking:Kinesis:StreamName", "events"), ("AWS_DEFAULT_REGION", "us-east-1")).Region);
        Assert.Equal("ap-south-1", Kinesis(("Tracking:Kinesis:StreamName", "events"), ("Tracking:Kinesis:Region", "ap-south-1"), ("AWS_REGION", "eu-west-1")).Region);
    }

    [Fact]
    public void ARegionReadWithAFinalNewlineAsFromASecretFileIsUsedWithoutItAndInsideWhiteSpaceIsRefused()
    {
        Assert.Equal("eu-west-1", Kinesis(("Tracking:Kinesis:StreamName", "events"), ("Tracking:Kinesis:Region", "eu-west-1\n")).Region);
        Assert.Equal("eu-west-1", Kinesis(("Tracking:Kinesis:StreamName", "events"), ("AWS_REGION", " eu-west-1\r\n")).Region);
        Assert.Contains("must be an AWS region such as 'eu-west-1'", Refused(() => Kinesis(("Tracking:Kinesis:StreamName", "events"), ("Tracking:Kinesis:Region", "eu-west-1\nus-east-1"))), StringComparison.Ordinal);
    }

    [Fact]
    public void AKinesisSinkWithoutAStreamOrARegionIsRefusedNamingBoth()
    {
        var message = Refused(() => Kinesis());

        Assert.Contains("Tracking:Kinesis:StreamName is required when Tracking:Sink is Kinesis (environment variable Tracking__Kinesis__StreamName)", message, StringComparison.Ordinal);
        Assert.Contains("No AWS region is configured: set Tracking:Kinesis:Region or the AWS_REGION (or AWS_DEFAULT_REGION) environment variable", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Tracking:Kinesis:StreamName", "has spaces", "Tracking:Kinesis:StreamName must be 1 to 128 letters, digits")]
    [InlineData("Tracking:Kinesis:StreamName", "events\n", "Tracking:Kinesis:StreamName must be 1 to 128 letters, digits")]
    [InlineData("Tracking:Kinesis:Region", "Europe", "Tracking:Kinesis:Region (or AWS_REGION) must be an AWS region such as 'eu-west-1'; it is 'Europe'")]
    [InlineData("Tracking:Kinesis:ServiceUrl", "ftp://localhost:4567", "Tracking:Kinesis:ServiceUrl must be an absolute http or https URL")]
    [InlineData("Tracking:Kinesis:Retry:MaxAttempts", "0", "Tracking:Kinesis:Retry:MaxAttempts must be between 1 and 20")]
    [InlineData("Tracking:Kinesis:Retry:MaxAttempts", "3", "Tracking:Kinesis:Retry:MaxAttempts must be 1 (or left out): the sink retries every failed call itself with Tracking:Batching:RetryBaseDelay and RetryMaxDelay")]
    [InlineData("Tracking:Kinesis:RequestTimeout", "00:00:00", "Tracking:Kinesis:RequestTimeout must be more than zero")]
    [InlineData("Tracking:Kinesis:ShardRecordsPerSecond", "0", "Tracking:Kinesis:ShardRecordsPerSecond must be at least 1")]
    [InlineData("Tracking:Kinesis:ShardBytesPerSecond", "1000", "Tracking:Kinesis:ShardBytesPerSecond must be at least 32768")]
    [InlineData("Tracking:Kinesis:AggregationMaxBytes", "1023", "Tracking:Kinesis:AggregationMaxBytes must be between 1024 and 1048576")]
    [InlineData("Tracking:Kinesis:AggregationMaxBytes", "1048577", "Tracking:Kinesis:AggregationMaxBytes must be between 1024 and 1048576")]
    [InlineData("Tracking:Kinesis:RefreshInterval", "00:00:00.100", "Tracking:Kinesis:RefreshInterval must be at least 1 second")]
    public void EachBadKinesisSettingIsNamedWithItsLimit(string key, string value, string expected)
    {
        var message = Refused(() => Kinesis(("Tracking:Kinesis:StreamName", "events"), ("AWS_REGION", "eu-west-1"), (key, value)));

        Assert.Contains(expected, message, StringComparison.Ordinal);
    }

    [Fact]
    public void AFirehoseSinkWithoutAStreamOrARegionIsRefusedNamingBothAndTheRegionDefaultsLikeKinesis()
    {
        var message = Refused(() => Firehose());

        Assert.Contains("Tracking:Firehose:DeliveryStreamName is required when Tracking:Sink is Firehose (environment variable Tracking__Firehose__DeliveryStreamName)", message, StringComparison.Ordinal);
        Assert.Contains("set Tracking:Firehose:Region or the AWS_REGION", message, StringComparison.Ordinal);
        Assert.Equal("eu-west-1", Firehose(("Tracking:Firehose:DeliveryStreamName", "events-to-s3"), ("AWS_REGION", "eu-west-1")).Region);
        Assert.Contains("Tracking:Firehose:DeliveryStreamName must be 1 to 64", Refused(() => Firehose(("Tracking:Firehose:DeliveryStreamName", new string('x', 65)), ("AWS_REGION", "eu-west-1"))), StringComparison.Ordinal);
    }
}
