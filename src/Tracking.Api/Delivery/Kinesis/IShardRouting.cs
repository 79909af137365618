namespace Tracking.Api.Delivery.Kinesis;

/// <summary>
/// What the stream monitor needs of the Kinesis sink: to hand it the stream's open shards, and to hear when the sink
/// suspects the list it has is stale.
/// </summary>
internal interface IShardRouting
{
    /// <summary>Completes when a put saw a sign that the shard list is stale; the monitor then reads it again.</summary>
    Task RefreshRequested { get; }

    /// <summary>Called before the shard list is read, so requests made meanwhile count.</summary>
    void ResetRefreshRequest();

    /// <summary>Asks for the shard list to be read again soon.</summary>
    void RequestRefresh();

    /// <summary>Switches to the stream's current open shards (a no-op when they are the ones in use).</summary>
    void UseShards(ShardMap map);
}
