using Tracking.Consumer.Warehouse;

namespace Tracking.Consumer.Redrive;

/// <summary>
/// A dead letter read again (<see cref="DeadLetterReading"/>). Either it still fails whole (<see cref="Whole"/>, with
/// today's reason) and stays as it is; or its <see cref="Rows"/> load and it is replaced by <see cref="Parts"/>: the
/// user records of an aggregate that still fail, each a dead letter of its own (<c>sequence:index</c>), as the shard
/// loop writes them today. A letter an older consumer wrote for a whole aggregate is so split, and what loads of it
/// loads.
/// </summary>
internal sealed record Reread(IReadOnlyList<EventRow> Rows, IReadOnlyList<DeadLetter> Parts, DeadLetter? Whole);
