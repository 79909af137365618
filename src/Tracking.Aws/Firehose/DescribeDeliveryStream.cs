using System.Text.Json.Serialization;
using Tracking.Aws.Protocol;

namespace Tracking.Aws.Firehose;

/// <summary>Input of <c>DescribeDeliveryStream</c>.</summary>
public sealed class DescribeDeliveryStreamRequest
{
    /// <summary>The Firehose stream name.</summary>
    public required string DeliveryStreamName { get; init; }

    /// <summary>How many destinations to describe (the service allows 1 to 10,000).</summary>
    public int? Limit { get; init; }

    /// <summary>Describe the destinations after this one.</summary>
    public string? ExclusiveStartDestinationId { get; init; }
}

/// <summary>Output of <c>DescribeDeliveryStream</c>.</summary>
public sealed class DescribeDeliveryStreamResponse
{
    /// <summary>The stream's status and destinations.</summary>
    public required DeliveryStreamDescription DeliveryStreamDescription { get; init; }
}

/// <summary>What the pipeline needs to know about a Firehose stream; the destination configurations are not read.</summary>
public sealed class DeliveryStreamDescription
{
    /// <summary>The stream name.</summary>
    public required string DeliveryStreamName { get; init; }

    /// <summary>The stream ARN.</summary>
    [JsonPropertyName("DeliveryStreamARN")]
    public string? DeliveryStreamArn { get; init; }

    /// <summary><c>CREATING</c>, <c>CREATING_FAILED</c>, <c>DELETING</c>, <c>DELETING_FAILED</c> or <c>ACTIVE</c>
    /// (see <see cref="Firehose.DeliveryStreamStatus"/>); kept as text so a new value still parses.</summary>
    public required string DeliveryStreamStatus { get; init; }

    /// <summary><c>DirectPut</c> (what PutRecordBatch needs), <c>KinesisStreamAsSource</c>, <c>MSKAsSource</c> or <c>DatabaseAsSource</c>.</summary>
    public string? DeliveryStreamType { get; init; }

    /// <summary>The configuration version, for updates.</summary>
    public string? VersionId { get; init; }

    /// <summary>When the stream was created.</summary>
    [JsonConverter(typeof(EpochSecondsJsonConverter))]
    public DateTimeOffset? CreateTimestamp { get; init; }

    /// <summary>When the stream was last updated.</summary>
    [JsonConverter(typeof(EpochSecondsJsonConverter))]
    public DateTimeOffset? LastUpdateTimestamp { get; init; }

    /// <summary>The destinations (only their ids are read).</summary>
    public IReadOnlyList<DeliveryStreamDestination> Destinations { get; init; } = [];

    /// <summary>Whether more destinations exist than were described.</summary>
    public bool HasMoreDestinations { get; init; }

    /// <summary>Why the stream failed, when its status is a failure.</summary>
    public DeliveryStreamFailure? FailureDescription { get; init; }
}

/// <summary>A destination of a Firehose stream.</summary>
public sealed class DeliveryStreamDestination
{
    /// <summary>The destination id.</summary>
    public required string DestinationId { get; init; }
}

/// <summary>A Firehose stream failure.</summary>
public sealed class DeliveryStreamFailure
{
    /// <summary>The failure type, e.g. <c>RETIRE_KMS_GRANT_FAILED</c>.</summary>
    public string? Type { get; init; }

    /// <summary>The failure details.</summary>
    public string? Details { get; init; }
}

/// <summary>The <c>DeliveryStreamStatus</c> values.</summary>
public static class DeliveryStreamStatus
{
    /// <summary>Being created.</summary>
    public const string Creating = "CREATING";

    /// <summary>Creation failed; see <see cref="DeliveryStreamDescription.FailureDescription"/>.</summary>
    public const string CreatingFailed = "CREATING_FAILED";

    /// <summary>Being deleted.</summary>
    public const string Deleting = "DELETING";

    /// <summary>Deletion failed.</summary>
    public const string DeletingFailed = "DELETING_FAILED";

    /// <summary>Accepting records.</summary>
    public const string Active = "ACTIVE";
}
