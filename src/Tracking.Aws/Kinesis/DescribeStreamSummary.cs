using System.Text.Json.Serialization;
using Tracking.Aws.Protocol;

namespace Tracking.Aws.Kinesis;

/// <summary>Input of <c>DescribeStreamSummary</c>.</summary>
public sealed class DescribeStreamSummaryRequest
{
    /// <summary>The stream name. Either this or <see cref="StreamArn"/> is required.</summary>
    public string? StreamName { get; init; }

    /// <summary>The stream ARN.</summary>
    [JsonPropertyName("StreamARN")]
    public string? StreamArn { get; init; }
}

/// <summary>Output of <c>DescribeStreamSummary</c>.</summary>
public sealed class DescribeStreamSummaryResponse
{
    /// <summary>The stream's status, shard count and settings.</summary>
    public required StreamDescriptionSummary StreamDescriptionSummary { get; init; }
}

/// <summary>A stream's status and settings, without its shard list.</summary>
public sealed class StreamDescriptionSummary
{
    /// <summary>The stream name.</summary>
    public required string StreamName { get; init; }

    /// <summary>The stream ARN.</summary>
    [JsonPropertyName("StreamARN")]
    public string? StreamArn { get; init; }

    /// <summary><c>CREATING</c>, <c>DELETING</c>, <c>ACTIVE</c> or <c>UPDATING</c> (see <see cref="StreamStatus"/>);
    /// kept as text so a value added by AWS later still parses.</summary>
    public required string StreamStatus { get; init; }

    /// <summary>Provisioned or on-demand capacity.</summary>
    public StreamModeDetails? StreamModeDetails { get; init; }

    /// <summary>How long records stay readable, in hours.</summary>
    public int RetentionPeriodHours { get; init; }

    /// <summary>When the stream was created.</summary>
    [JsonConverter(typeof(EpochSecondsJsonConverter))]
    public DateTimeOffset? StreamCreationTimestamp { get; init; }

    /// <summary>The number of open shards.</summary>
    public int OpenShardCount { get; init; }

    /// <summary>The number of enhanced fan-out consumers.</summary>
    public int? ConsumerCount { get; init; }

    /// <summary><c>NONE</c> or <c>KMS</c>.</summary>
    public string? EncryptionType { get; init; }

    /// <summary>The KMS key used when <see cref="EncryptionType"/> is <c>KMS</c>.</summary>
    public string? KeyId { get; init; }
}

/// <summary>The <c>StreamStatus</c> values.</summary>
public static class StreamStatus
{
    /// <summary>Being created; not readable or writable yet.</summary>
    public const string Creating = "CREATING";

    /// <summary>Being deleted.</summary>
    public const string Deleting = "DELETING";

    /// <summary>Ready for reads, writes and resharding.</summary>
    public const string Active = "ACTIVE";

    /// <summary>Being resharded or reconfigured; reads and writes continue.</summary>
    public const string Updating = "UPDATING";
}
