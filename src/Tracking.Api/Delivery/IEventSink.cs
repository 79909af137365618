namespace Tracking.Api.Delivery;

/// <summary>
/// Where batches go. <see cref="DeliverAsync"/> stores what it can and returns the events it could
/// not store this time (a partial failure, as PutRecords and PutRecordBatch report); the batcher
/// sends only those again, with backoff. It throws when nothing of the batch can be promised.
/// </summary>
internal interface IEventSink
{
    /// <summary>A short name for logs, metrics and health reports ("File", "Kinesis", ...).</summary>
    string Name { get; }

    /// <summary>The stream or delivery stream it writes to, for the put spans; null for a sink that writes no stream.</summary>
    string? Destination => null;

    Task<DeliveryResult> DeliverAsync(IReadOnlyList<EnrichedEvent> batch, CancellationToken cancellationToken);

    /// <summary>Makes everything delivered so far final (closes open files, ...); called once the queue is drained at shutdown.</summary>
    Task FlushAsync(CancellationToken cancellationToken);
}
