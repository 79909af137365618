using Tracking.Aws;
using Tracking.Aws.Kinesis;
using Tracking.ServiceDefaults;

namespace Tracking.Api.Delivery.Kinesis;

/// <summary>
/// The Kinesis Data Stream the Kinesis sink writes to, and how. Bound to <c>Tracking:Kinesis</c>; checked at start
/// only when <c>Tracking:Sink</c> is <c>Kinesis</c>. Credentials come from the standard AWS chain
/// (<c>AWS_ACCESS_KEY_ID</c>/<c>AWS_SECRET_ACCESS_KEY</c>, profiles, web identity, container and instance roles).
/// </summary>
internal sealed class KinesisSinkOptions : AwsClientSettings, IValidatedOptions
{
    public const string Section = "Tracking:Kinesis";

    /// <summary>Creates the options with the sinks' single-attempt client retries (<see cref="AwsSinkSettings.SingleAttempt"/>).</summary>
    public KinesisSinkOptions() => Retry = AwsSinkSettings.SingleAttempt();

    /// <summary>The stream's name. Required; no default.</summary>
    public string? StreamName { get; set; }

    /// <summary>
    /// Records per second the sink allows itself per shard at most. It starts there, halves on throttling and
    /// climbs back as puts succeed. Default 1,000, the shard write quota.
    /// </summary>
    public int ShardRecordsPerSecond { get; set; } = KinesisLimits.MaxShardWriteRecordsPerSecond;

    /// <summary>Bytes (data plus partition key) per second per shard at most, adapted like <see cref="ShardRecordsPerSecond"/>. Default 1 MiB, the shard write quota.</summary>
    public int ShardBytesPerSecond { get; set; } = KinesisLimits.MaxShardWriteBytesPerSecond;

    /// <summary>
    /// Packs each put's events of one partition key into records of the Kinesis Producer Library's aggregated format
    /// (read by the KCL, Firehose, AWS Lambda's de-aggregation modules and our consumer), so a shard's 1,000
    /// records a second carry many more small events and fewer PUT payload units are billed. One key's events stay in
    /// order; a lone event is still sent as a plain record. Default off: readers that do not de-aggregate would see
    /// binary records.
    /// </summary>
    public bool Aggregation { get; set; }

    /// <summary>
    /// The largest aggregated record (data plus partition key), with <see cref="Aggregation"/> on. Default 24 KiB:
    /// within one 25 KB PUT payload unit, so each aggregate costs one; larger ones would not raise a shard's events a
    /// second (its 1 MiB/s binds as soon as records average over 1 KiB) but would make each retry and each wait for an
    /// aggregate to fill larger. At least 1 KiB, at most 1 MiB (the record limit).
    /// </summary>
    public int AggregationMaxBytes { get; set; } = DefaultAggregationMaxBytes;

    /// <summary>The default of <see cref="AggregationMaxBytes"/>: 24 KiB.</summary>
    public const int DefaultAggregationMaxBytes = 24 * 1024;

    /// <summary>How often the stream's status and open shards are read again (sooner after a reshard is noticed). Default 1 minute.</summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromMinutes(1);

    public IEnumerable<string> Validate()
    {
        if (string.IsNullOrWhiteSpace(StreamName))
        {
            yield return $"{Section}:StreamName is required when Tracking:Sink is Kinesis (environment variable Tracking__Kinesis__StreamName).";
        }
        else if (!KinesisLimits.IsStreamName(StreamName))
        {
            yield return $"{Section}:StreamName must be 1 to 128 letters, digits, '_', '-' or '.' (the Kinesis naming rule); it is '{StreamName}'.";
        }

        foreach (var error in ValidateSettings(Section).Concat(AwsSinkSettings.ValidateSingleAttempt(Section, Retry)))
        {
            yield return error;
        }

        if (ShardRecordsPerSecond < 1)
        {
            yield return $"{Section}:ShardRecordsPerSecond must be at least 1; it is {ShardRecordsPerSecond}.";
        }

        if (ShardBytesPerSecond < Events.ProtocolLimits.MaxMessageBytes)
        {
            yield return $"{Section}:ShardBytesPerSecond must be at least {Events.ProtocolLimits.MaxMessageBytes} so a shard can take a maximum-size message each second; it is {ShardBytesPerSecond}.";
        }

        if (AggregationMaxBytes is < 1024 or > KinesisLimits.MaxRecordBytes)
        {
            yield return $"{Section}:AggregationMaxBytes must be between 1024 and {KinesisLimits.MaxRecordBytes} (the Kinesis record limit, data plus partition key); it is {AggregationMaxBytes}.";
        }

        if (RefreshInterval < TimeSpan.FromSeconds(1))
        {
            yield return $"{Section}:RefreshInterval must be at least 1 second (DescribeStreamSummary and ListShards have low per-account quotas); it is {RefreshInterval}.";
        }
    }
}
