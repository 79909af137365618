namespace Tracking.Api.Delivery;

/// <summary>
/// Where the endpoints leave accepted events and the batcher takes them from: the durable spool
/// (<see cref="Spool.EventSpool"/>) or, with <c>Tracking:Spool:Durability=Memory</c>, memory
/// (<see cref="EventQueue"/>). An event counts against the capacity from the moment it is accepted
/// until a sink has acknowledged it, by its <see cref="EnrichedEvent.Position"/>, so a slow or failing
/// sink fills the queue and the API answers 503 instead of growing without bound.
/// </summary>
internal interface IEventQueue
{
    /// <summary>
    /// Accepts all of <paramref name="events"/> or none of them, and returns once they are as durable as the
    /// queue promises (on disk for the spool): only then may the API answer 200. The queue may keep
    /// <paramref name="events"/> itself rather than a copy: the caller must not change it afterwards.
    /// </summary>
    ValueTask<EnqueueOutcome> EnqueueAsync(IReadOnlyList<EnrichedEvent> events, CancellationToken cancellationToken);

    /// <summary>Waits until an event can be read; false once the queue is closed and nothing more will be read.</summary>
    ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken);

    bool TryPeek(out EnrichedEvent item);

    bool TryRead(out EnrichedEvent item);

    /// <summary>Records that a sink stored <paramref name="events"/> (by position) and frees their room.</summary>
    void Acknowledge(IReadOnlyList<EnrichedEvent> events);

    /// <summary>Refuses new events from now on; what is queued can still be read.</summary>
    void Close();

    /// <summary>Events accepted and not yet acknowledged.</summary>
    long Depth { get; }

    /// <summary>Bytes the queue holds for them (the spool: its files on disk).</summary>
    long DepthBytes { get; }

    /// <summary>When the oldest event not yet acknowledged was accepted; null when there is none.</summary>
    DateTimeOffset? OldestAcceptedAt { get; }

    /// <summary>True when the last enqueue was refused for lack of room, nothing has been acknowledged since, and something is queued.</summary>
    bool IsFull { get; }

    /// <summary>The most events the queue holds at once; a request with more can never be accepted.</summary>
    int CapacityEvents { get; }

    /// <summary>The most bytes the queue holds at once; a request with more can never be accepted.</summary>
    long CapacityBytes { get; }

    /// <summary>What status pages and health reports call it: <c>spool</c> (on disk) or <c>memory</c>.</summary>
    string Kind { get; }

    /// <summary>Whether what it holds outlives the process: what is left at shutdown is delivered after the next start.</summary>
    bool IsDurable { get; }

    /// <summary>Running totals a durable queue keeps about its disk (all zero in memory).</summary>
    QueueCounters Counters { get; }
}
