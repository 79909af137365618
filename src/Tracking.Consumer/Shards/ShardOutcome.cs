namespace Tracking.Consumer.Shards;

/// <summary>How a shard's processing ended.</summary>
internal enum ShardOutcome
{
    /// <summary>The shard is closed and read to its end; its final checkpoint is committed as finished.</summary>
    Finished,

    /// <summary>Another worker took the lease; nothing after that was committed.</summary>
    LeaseLost,

    /// <summary>Reading was stopped (shutdown or lease loss seen by renewal); what was read is loaded if the lease allows.</summary>
    Stopped,
}
