using Tracking.Aws;
using Tracking.Aws.Kinesis;
using Tracking.ServiceDefaults;

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

/// <summary>The stream the consumer reads, bound from <c>Consumer:Kinesis</c>, with the AWS client settings the API's
/// sinks share (<c>Region</c>, <c>ServiceUrl</c>, <c>Retry</c>, <c>RequestTimeout</c>).</summary>
public sealed class StreamOptions : AwsClientSettings, IValidatedOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Consumer:Kinesis";

    /// <summary>The Kinesis stream to read. Required.</summary>
    public string? StreamName { get; set; }

    /// <summary>Where shards start when the consumer first meets the stream. Default <see cref="InitialPosition.TrimHorizon"/>.
    /// Shards created later by a reshard always start at their beginning, so nothing between parent and child is skipped.</summary>
    public InitialPosition InitialPosition { get; set; } = InitialPosition.TrimHorizon;

    /// <summary>The arrival time to start at with <see cref="InitialPosition.AtTimestamp"/>; required then, ignored otherwise.</summary>
    public DateTimeOffset? InitialTimestamp { get; set; }

    /// <summary>Every broken rule, each naming its setting.</summary>
    public IEnumerable<string> Validate()
    {
        if (string.IsNullOrWhiteSpace(StreamName))
        {
            yield return $"{Section}:StreamName is required: the name of the Kinesis stream to read.";
        }
        else if (StreamName.Length > KinesisLimits.MaxStreamNameLength)
        {
            yield return $"{Section}:StreamName must be at most 128 characters, the Kinesis limit (got {StreamName.Length}).";
        }
        else if (!KinesisLimits.IsStreamName(StreamName))
        {
            yield return $"{Section}:StreamName may hold only letters, digits, '_', '.' and '-' (Kinesis stream names).";
        }

        if (InitialPosition == InitialPosition.AtTimestamp && InitialTimestamp is null)
        {
            yield return $"{Section}:InitialTimestamp is required when {Section}:InitialPosition is AtTimestamp.";
        }

        foreach (var error in ValidateSettings(Section))
        {
            yield return error;
        }
    }
}
