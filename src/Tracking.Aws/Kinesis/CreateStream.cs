namespace Tracking.Aws.Kinesis;

/// <summary>Input of <c>CreateStream</c>. The stream starts <c>CREATING</c>; wait for <c>ACTIVE</c> before using it.</summary>
public sealed class CreateStreamRequest
{
    /// <summary>The stream name, unique per account and region.</summary>
    public required string StreamName { get; init; }

    /// <summary>The number of shards; required in provisioned mode, omitted in on-demand mode.</summary>
    public int? ShardCount { get; init; }

    /// <summary>Provisioned (the default) or on-demand capacity.</summary>
    public StreamModeDetails? StreamModeDetails { get; init; }
}

/// <summary>A stream's capacity mode.</summary>
public sealed class StreamModeDetails
{
    /// <summary><c>PROVISIONED</c> or <c>ON_DEMAND</c> (see <see cref="Kinesis.StreamMode"/>).</summary>
    public required string StreamMode { get; init; }
}

/// <summary>The <c>StreamMode</c> values.</summary>
public static class StreamMode
{
    /// <summary>Capacity set by the shard count.</summary>
    public const string Provisioned = "PROVISIONED";

    /// <summary>Capacity managed by Kinesis.</summary>
    public const string OnDemand = "ON_DEMAND";
}
