namespace Tracking.Api.Delivery;

/// <summary>What became of an enqueue.</summary>
internal enum EnqueueOutcome
{
    /// <summary>Every event is queued (and durable, as the queue promises).</summary>
    Accepted,

    /// <summary>No room (or no disk space): nothing was queued; the client should retry later.</summary>
    Full,

    /// <summary>The queue is closed (shutting down): nothing was queued; the client should retry later.</summary>
    Closed,
}
