using Tracking.Aws.Kinesis;

namespace Tracking.Consumer.Loading;

/// <summary>One shard's rows and dead letters collected since the last load, in read order.</summary>
internal sealed class ShardBuffer(string stream, string shardId)
{
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
            var (row, deadLetter) = EventRecords.Parse(stream, shardId, record);
            if (row is not null)
            {
                _rows.Add(row);
            }
            else
            {
                _deadLetters.Add(deadLetter!);
            }

            Bytes += record.Data.Length;
            _lastSequenceNumber = record.SequenceNumber;
        }
    }

    /// <summary>Hands everything over as one batch and starts empty.</summary>
    public LoadBatch TakeBatch(ShardFence fence, bool finished)
    {
        var batch = new LoadBatch(fence, _rows, _deadLetters, _lastSequenceNumber, finished);
        _rows = [];
        _deadLetters = [];
        Bytes = 0;
        return batch;
    }
}
