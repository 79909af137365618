using System.Text;
using Tracking.Aws.Kinesis.Aggregation;

namespace Tracking.Api.Delivery.Kinesis;

/// <summary>
/// One Kinesis record of a put: a single event as it is, or (with aggregation on) several events of one partition
/// key packed in the Kinesis Producer Library's aggregated format. It is written or not as a whole, so a failed
/// aggregate sends all its events again, and each of its events completes its batch when it is written.
/// </summary>
internal sealed class PutEntry
{
    private readonly int _keyBytes;
    private AggregatedRecordBuilder? _aggregate;
    private byte[]? _data;

    public PutEntry(PendingRecord first)
    {
        Records = [first];
        PartitionKey = first.Event.PartitionKey;
        _keyBytes = Encoding.UTF8.GetByteCount(PartitionKey);
        Size = first.Size;
    }

    /// <summary>The events, in the order they were accepted.</summary>
    public List<PendingRecord> Records { get; }

    public string PartitionKey { get; }

    /// <summary>Data plus UTF-8 partition key: what counts against the record, request and shard limits.</summary>
    public int Size { get; private set; }

    /// <summary>The record's data: a lone event's JSON as it is (every reader takes plain records), or the aggregate of all the events.</summary>
    public ReadOnlyMemory<byte> Data => Records.Count == 1 ? Records[0].Event.Json : _data ??= _aggregate!.Build();

    /// <summary>How much <see cref="Size"/> would grow with <paramref name="record"/> (same key) in the aggregate, or
    /// <see langword="null"/> when the aggregate would pass <paramref name="maxBytes"/>.</summary>
    public int? GrowthWith(PendingRecord record, int maxBytes)
    {
        var aggregate = _aggregate ??= Start();
        var size = aggregate.SizeWith(UserRecordOf(record)) + _keyBytes;
        return size > maxBytes ? null : size - Size;
    }

    /// <summary>Adds a record that <see cref="GrowthWith"/> said fits.</summary>
    public void Add(PendingRecord record)
    {
        _aggregate ??= Start();
        _aggregate.Add(UserRecordOf(record));
        _data = null;
        Records.Add(record);
        Size = _aggregate.Size + _keyBytes;
    }

    /// <summary>
    /// Packs the first records of <paramref name="queued"/> (in order) into at most <paramref name="maxEntries"/>
    /// entries and <paramref name="maxBytes"/> bytes (the first entry always goes). With
    /// <paramref name="maxAggregateBytes"/> set, a record joins the open aggregate of its key while that stays within
    /// it; otherwise, or when it does not fit, it starts an entry. Later entries of a key follow its earlier ones, so
    /// one key's events keep their order. Stops at the first record that does not fit: what is taken is a prefix.
    /// </summary>
    public static (List<PutEntry> Entries, int Taken) Pack(IEnumerable<PendingRecord> queued, int maxEntries, long maxBytes, int? maxAggregateBytes)
    {
        var entries = new List<PutEntry>();
        var open = maxAggregateBytes is null ? null : new Dictionary<string, PutEntry>(StringComparer.Ordinal);
        long bytes = 0;
        var taken = 0;
        foreach (var record in queued)
        {
            if (open is not null && open.TryGetValue(record.Event.PartitionKey, out var entry) && entry.GrowthWith(record, maxAggregateBytes!.Value) is { } growth)
            {
                if (bytes + growth > maxBytes)
                {
                    break;
                }

                entry.Add(record);
                bytes += growth;
                taken++;
                continue;
            }

            if (entries.Count == maxEntries || (entries.Count > 0 && bytes + record.Size > maxBytes))
            {
                break;
            }

            var started = new PutEntry(record);
            entries.Add(started);
            open?.Remove(record.Event.PartitionKey);
            if (open is not null && record.Size < maxAggregateBytes)
            {
                open[record.Event.PartitionKey] = started;
            }

            bytes += record.Size;
            taken++;
        }

        return (entries, taken);
    }

    private AggregatedRecordBuilder Start()
    {
        var builder = new AggregatedRecordBuilder();
        builder.Add(UserRecordOf(Records[0]));
        return builder;
    }

    // User records carry no partition key of their own beyond the table's single entry: all share the record's key.
    private static UserRecord UserRecordOf(PendingRecord record) => new(record.Event.PartitionKey, null, record.Event.Json, []);
}
