using Tracking.Api.Delivery;

namespace Tracking.Api.Spool;

/// <summary>One request's events on their way to the disk, and the answer its caller waits for.</summary>
internal sealed class WriteRequest(IReadOnlyList<EnrichedEvent> events, long bytes)
{
    public IReadOnlyList<EnrichedEvent> Events { get; } = events;

    /// <summary>The events' framed size, reserved against <see cref="SpoolOptions.MaxBytes"/> until they are written.</summary>
    public long Bytes { get; } = bytes;

    /// <summary>Continuations run synchronously on the writing thread (see <see cref="GroupCommitWriter"/>).</summary>
    public TaskCompletionSource<EnqueueOutcome> Done { get; } = new();
}
