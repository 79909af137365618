namespace Tracking.Api.Delivery;

/// <summary>
/// Where batches go. <see cref="DeliverAsync"/> returns only when every event of the batch is
/// stored by the sink; it throws when that cannot be promised, and the batcher sends the batch again.
/// </summary>
internal interface IEventSink
{
    /// <summary>A short name for logs and health reports ("File", "Kinesis", ...).</summary>
    string Name { get; }

    Task DeliverAsync(IReadOnlyList<EnrichedEvent> batch, CancellationToken cancellationToken);

    /// <summary>Makes everything delivered so far final (closes open files, ...); called once the queue is drained at shutdown.</summary>
    Task FlushAsync(CancellationToken cancellationToken);
}
