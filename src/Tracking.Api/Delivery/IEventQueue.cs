namespace Tracking.Api.Delivery;

/// <summary>
/// Where the endpoints leave accepted events and the batcher takes them from. An event counts
/// against the capacity from the moment it is accepted until a sink has acknowledged it, so a
/// slow or failing sink fills the queue and the API answers 503 instead of growing without bound.
/// A durable on-disk spool can implement this without changing the endpoints.
/// </summary>
internal interface IEventQueue
{
    /// <summary>Accepts all of <paramref name="events"/> or none of them (when the queue is full or closed).</summary>
    bool TryEnqueue(IReadOnlyList<EnrichedEvent> events);

    /// <summary>Waits until an event can be read; false once the queue is closed and empty.</summary>
    ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken);

    bool TryPeek(out EnrichedEvent item);

    bool TryRead(out EnrichedEvent item);

    /// <summary>Frees the capacity of events a sink has acknowledged.</summary>
    void Acknowledge(int events, long bytes);

    /// <summary>Refuses new events from now on; what is queued can still be read.</summary>
    void Close();

    /// <summary>Events accepted and not yet acknowledged.</summary>
    long Depth { get; }

    /// <summary>Bytes accepted and not yet acknowledged.</summary>
    long DepthBytes { get; }

    /// <summary>True when the last enqueue was refused for lack of room, nothing has been acknowledged since, and something is queued.</summary>
    bool IsFull { get; }

    /// <summary>The most events the queue holds at once; a request with more can never be accepted.</summary>
    int CapacityEvents { get; }

    /// <summary>The most bytes the queue holds at once; a request with more can never be accepted.</summary>
    long CapacityBytes { get; }
}
