using Tracking.Aws.Kinesis;
using Tracking.Aws.Kinesis.Aggregation;
using Tracking.Consumer.Leases;
using Tracking.Consumer.Warehouse;

namespace Tracking.Consumer.Loading;

/// <summary>
/// One shard's rows and dead letters collected since the last load, in read order. A record the Kinesis Producer
/// Library aggregated is expanded here into its user records, all of them in the same batch as the record, so a load
/// (and the checkpoint it commits, a Kinesis sequence number) never ends inside an aggregated record. A record with
/// the KPL's magic whose MD5 or protobuf is broken is one dead letter, whole.
/// </summary>
internal sealed class ShardBuffer(string stream, string shardId)
{
    /// <summary>
    /// A user record's identity: its aggregated record's sequence number and its index in it (the KCL's subsequence
    /// number). It stands where a sequence number does: in the derived <c>messageId</c> of a user record without one
    /// and in <c>dead_letters.sequence_number</c>. The same on every replay, so replays deduplicate.
    /// </summary>
    internal static string UserRecordSequence(string sequenceNumber, int subsequence) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{sequenceNumber}:{subsequence}");

    private List<EventRow> _rows = [];
    private List<DeadLetter> _deadLetters = [];
    private string? _lastSequenceNumber;

    public int RowCount => _rows.Count + _deadLetters.Count;

    public long Bytes { get; private set; }

    public bool IsEmpty => RowCount == 0;

    public void Add(IReadOnlyList<KinesisRecord> records)
    {
        foreach (var record in records)
        {
            Add(Read(record));
        }
    }

    /// <summary>Adds one record's rows and dead letters, as <see cref="Read"/> gave them.</summary>
    public void Add(RecordRows read)
    {
        _rows.AddRange(read.Rows);
        _deadLetters.AddRange(read.DeadLetters);
        Bytes += read.Bytes;
        _lastSequenceNumber = read.SequenceNumber;
    }

    /// <summary>
    /// One record's rows and dead letters, not yet added: a plain record gives one of either, a KPL aggregate one per
    /// user record, so the caller can tell how many rows a record brings before it decides where a batch ends.
    /// </summary>
    public RecordRows Read(KinesisRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var rows = new List<EventRow>(1);
        var deadLetters = new List<DeadLetter>(0);
        if (!AggregatedRecords.IsAggregated(record.Data.Span))
        {
            Parse(record, rows, deadLetters);
        }
        else if (AggregatedRecords.TryDecode(record.Data, out var userRecords, out var error))
        {
            rows.Capacity = userRecords.Count;
            for (var i = 0; i < userRecords.Count; i++)
            {
                Parse(
                    new KinesisRecord
                    {
                        SequenceNumber = UserRecordSequence(record.SequenceNumber, i),
                        Data = userRecords[i].Data,
                        PartitionKey = userRecords[i].PartitionKey,
                        ApproximateArrivalTimestamp = record.ApproximateArrivalTimestamp,
                        EncryptionType = record.EncryptionType,
                    },
                    rows,
                    deadLetters);
            }
        }
        else
        {
            // The KCL would hand such a record on as plain data; it is neither an event nor its user records.
            deadLetters.Add(new DeadLetter(record.SequenceNumber, error, record.Data));
        }

        return new RecordRows(record.SequenceNumber, rows, deadLetters, record.Data.Length);
    }

    private void Parse(KinesisRecord record, List<EventRow> rows, List<DeadLetter> deadLetters)
    {
        var (row, deadLetter) = EventRecords.Parse(stream, shardId, record);
        if (row is not null)
        {
            rows.Add(row);
        }
        else
        {
            deadLetters.Add(deadLetter!);
        }
    }

    /// <summary>Hands everything over as one batch and starts empty.</summary>
    public LoadBatch TakeBatch(ShardFence fence, bool finished)
    {
        var (rows, deadLetters) = Take();
        return new LoadBatch(fence, rows, deadLetters, _lastSequenceNumber, finished);
    }

    /// <summary>Hands the rows and dead letters over and starts empty: for a reader that loads them without a lease
    /// (a re-drive of <c>dead_letters</c>).</summary>
    public (IReadOnlyList<EventRow> Rows, IReadOnlyList<DeadLetter> DeadLetters) Take()
    {
        var taken = (_rows, _deadLetters);
        _rows = [];
        _deadLetters = [];
        Bytes = 0;
        return taken;
    }
}
