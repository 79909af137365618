using Tracking.Aws.Kinesis;
using Tracking.Aws.Retries;

namespace Tracking.Consumer.Shards;

/// <summary>Where a shard without a checkpoint starts, the first time the consumer meets the stream.</summary>
public enum InitialPosition
{
    /// <summary>The oldest record still retained: nothing already in the stream is skipped.</summary>
    TrimHorizon,

    /// <summary>Only records written after the consumer first starts.</summary>
    Latest,

    /// <summary>Records that arrived at or after <see cref="StreamOptions.InitialTimestamp"/>.</summary>
    AtTimestamp,
}

/// <summary>The stream the consumer reads, bound from <c>Consumer:Kinesis</c>.</summary>
public sealed class StreamOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Consumer:Kinesis";

    /// <summary>The Kinesis stream to read. Required.</summary>
    public string? StreamName { get; set; }

    /// <summary>An emulator's URL (kinesalite, kinesis-local, LocalStack). Default: none, the regional AWS endpoint.</summary>
    public Uri? ServiceUrl { get; set; }

    /// <summary>The AWS region. Default: none, then <c>AWS_REGION</c> / <c>AWS_DEFAULT_REGION</c>.</summary>
    public string? Region { get; set; }

    /// <summary>Retries of each Kinesis call on throttling, 5xx and network errors. Default: the AWS SDKs' standard mode.</summary>
    public AwsRetryOptions Retry { get; set; } = new();

    /// <summary>Where shards start when the consumer first meets the stream. Default <see cref="InitialPosition.TrimHorizon"/>.
    /// Shards created later by a reshard always start at their beginning, so nothing between parent and child is skipped.</summary>
    public InitialPosition InitialPosition { get; set; } = InitialPosition.TrimHorizon;

    /// <summary>The arrival time to start at with <see cref="InitialPosition.AtTimestamp"/>; required then, ignored otherwise.</summary>
    public DateTimeOffset? InitialTimestamp { get; set; }

    /// <summary>The client options for <see cref="KinesisClient"/>.</summary>
    internal KinesisClientOptions ToClientOptions() => new() { Region = Region, ServiceUrl = ServiceUrl, Retry = Retry };

    /// <summary>Every broken rule, each naming its setting.</summary>
    internal IEnumerable<string> Validate()
    {
        if (string.IsNullOrWhiteSpace(StreamName))
        {
            yield return $"{Section}:StreamName is required: the name of the Kinesis stream to read.";
        }
        else if (StreamName.Length > 128)
        {
            yield return $"{Section}:StreamName must be at most 128 characters, the Kinesis limit (got {StreamName.Length}).";
        }

        if (InitialPosition == InitialPosition.AtTimestamp && InitialTimestamp is null)
        {
            yield return $"{Section}:InitialTimestamp is required when {Section}:InitialPosition is AtTimestamp.";
        }

        // The client's own rules are stated under its section name; restate them under ours.
        foreach (var error in ToClientOptions().Validate())
        {
            yield return error.StartsWith(KinesisClientOptions.Section + ":", StringComparison.Ordinal)
                ? Section + error[KinesisClientOptions.Section.Length..]
                : error;
        }
    }
}
