using System.Text.Json.Serialization;

namespace Tracking.Aws.Kinesis;

/// <summary>Input of <c>DeleteStream</c>. The stream is <c>DELETING</c> until it is gone; its records go with it.</summary>
public sealed class DeleteStreamRequest
{
    /// <summary>The stream name. Either this or <see cref="StreamArn"/> is required.</summary>
    public string? StreamName { get; init; }

    /// <summary>The stream ARN.</summary>
    [JsonPropertyName("StreamARN")]
    public string? StreamArn { get; init; }

    /// <summary>Deletes the stream even when enhanced fan-out consumers are registered on it.</summary>
    public bool? EnforceConsumerDeletion { get; init; }
}
