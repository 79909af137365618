using Tracking.Aws.Kinesis;
using Tracking.Consumer.Loading;
using Tracking.Consumer.Warehouse;

namespace Tracking.Consumer.Redrive;

/// <summary>
/// A dead letter read exactly as the shard loop reads a record of its shard today, so a fixed consumer gives it the
/// same rows and <c>message_id</c>s it would give the record read from the stream. A letter of a whole stream record
/// goes through <see cref="ShardBuffer"/> (a KPL aggregate expanded, each user record parsed by
/// <see cref="EventRecords"/>); a letter of one user record (its sequence number is
/// <see cref="ShardBuffer.UserRecordSequence"/>'s <c>sequence:index</c>) is parsed as that user record, never expanded
/// again, since the shard loop does not expand a user record that itself looks like an aggregate.
/// </summary>
internal static class DeadLetterReading
{
    /// <summary>Reads the letter again; <paramref name="vet"/> sets aside rows the warehouse cannot hold (Redshift's
    /// <see cref="RedshiftRows.Vet"/>), as its loader does before a load.</summary>
    public static Reread Read(
        string stream,
        string shardId,
        string sequenceNumber,
        byte[] payload,
        Func<IReadOnlyList<EventRow>, IReadOnlyList<DeadLetter>, (List<EventRow> Rows, List<DeadLetter> DeadLetters)>? vet = null)
    {
        var record = new KinesisRecord { SequenceNumber = sequenceNumber, Data = payload, PartitionKey = string.Empty };
        IReadOnlyList<EventRow> rows;
        IReadOnlyList<DeadLetter> deadLetters;
        if (IsUserRecord(sequenceNumber))
        {
            var (row, deadLetter) = EventRecords.Parse(stream, shardId, record);
            rows = row is not null ? [row] : [];
            deadLetters = deadLetter is not null ? [deadLetter] : [];
        }
        else
        {
            var buffer = new ShardBuffer(stream, shardId);
            buffer.Add([record]);
            (rows, deadLetters) = buffer.Take();
        }

        if (vet is not null)
        {
            (rows, deadLetters) = vet(rows, deadLetters);
        }

        var whole = deadLetters.FirstOrDefault(d => string.Equals(d.SequenceNumber, sequenceNumber, StringComparison.Ordinal));
        return whole is not null ? new Reread([], [], whole) : new Reread(rows, deadLetters, null);
    }

    /// <summary>Whether a dead letter's sequence number names one user record of an aggregate: Kinesis sequence
    /// numbers are decimal digits only.</summary>
    internal static bool IsUserRecord(string sequenceNumber) => sequenceNumber.Contains(':', StringComparison.Ordinal);
}
