using Tracking.Consumer.Leases;
using Tracking.Consumer.Warehouse;

namespace Tracking.Consumer.Loading;

/// <summary>One shard's rows and dead letters up to <see cref="LastSequenceNumber"/>, committed together with the
/// checkpoint; <see cref="ShardFinished"/> marks the shard's end so its children may start.</summary>
internal sealed record LoadBatch(
    ShardFence Fence,
    IReadOnlyList<EventRow> Rows,
    IReadOnlyList<DeadLetter> DeadLetters,
    string? LastSequenceNumber,
    bool ShardFinished);
