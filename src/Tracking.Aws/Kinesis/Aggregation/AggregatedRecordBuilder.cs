using System.Security.Cryptography;
using System.Text;

namespace Tracking.Aws.Kinesis.Aggregation;

/// <summary>
/// Packs user records into one aggregated record (<see cref="AggregatedRecords"/>), knowing its exact size as it
/// grows so a caller can stop before a limit. Partition keys and explicit hash keys are each written once, in a table.
/// Not thread-safe.
/// </summary>
public sealed class AggregatedRecordBuilder
{
    private readonly List<string> _partitionKeys = [];
    private readonly Dictionary<string, int> _partitionKeyIndexes = new(StringComparer.Ordinal);
    private readonly List<string> _explicitHashKeys = [];
    private readonly Dictionary<string, int> _explicitHashKeyIndexes = new(StringComparer.Ordinal);
    private readonly List<(int PartitionKey, int? ExplicitHashKey, UserRecord Record, int Size)> _records = [];
    private int _protobufBytes;

    /// <summary>User records added since the last <see cref="Clear"/>.</summary>
    public int Count => _records.Count;

    /// <summary>The aggregated record's data length as it stands: magic, protobuf and MD5 trailer.</summary>
    public int Size => AggregatedRecords.Overhead + _protobufBytes;

    /// <summary>What <see cref="Size"/> would be with <paramref name="record"/> added.</summary>
    public int SizeWith(UserRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return Size + Growth(record, out _);
    }

    /// <summary>Adds a user record after those already added.</summary>
    public void Add(UserRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        _protobufBytes += Growth(record, out var recordSize);
        var partitionKey = IndexOf(record.PartitionKey, _partitionKeys, _partitionKeyIndexes);
        int? explicitHashKey = record.ExplicitHashKey is null ? null : IndexOf(record.ExplicitHashKey, _explicitHashKeys, _explicitHashKeyIndexes);
        _records.Add((partitionKey, explicitHashKey, record, recordSize));
    }

    /// <summary>Adds a user record without explicit hash key or tags.</summary>
    public void Add(string partitionKey, ReadOnlyMemory<byte> data) => Add(new UserRecord(partitionKey, null, data, []));

    /// <summary>Writes the aggregated record's data; <see cref="Count"/> must be above zero.</summary>
    public byte[] Build()
    {
        if (_records.Count == 0)
        {
            throw new InvalidOperationException("An aggregated record needs at least one user record.");
        }

        var output = new byte[Size];
        AggregatedRecords.Magic.CopyTo(output);
        var span = output.AsSpan(AggregatedRecords.Magic.Length, _protobufBytes);
        var at = 0;
        foreach (var key in _partitionKeys)
        {
            at += ProtobufWriter.WriteStringField(span[at..], 1, key);
        }

        foreach (var key in _explicitHashKeys)
        {
            at += ProtobufWriter.WriteStringField(span[at..], 2, key);
        }

        foreach (var (partitionKey, explicitHashKey, record, size) in _records)
        {
            at += ProtobufWriter.WriteTag(span[at..], 3, ProtobufReader.WireLengthDelimited);
            at += ProtobufWriter.WriteVarint(span[at..], (ulong)size);
            at += ProtobufWriter.WriteVarintField(span[at..], 1, (ulong)partitionKey);
            if (explicitHashKey is { } ehk)
            {
                at += ProtobufWriter.WriteVarintField(span[at..], 2, (ulong)ehk);
            }

            at += ProtobufWriter.WriteBytesField(span[at..], 3, record.Data.Span);
            foreach (var (key, value) in record.Tags)
            {
                at += ProtobufWriter.WriteTag(span[at..], 4, ProtobufReader.WireLengthDelimited);
                at += ProtobufWriter.WriteVarint(span[at..], (ulong)TagSize(key, value));
                at += ProtobufWriter.WriteStringField(span[at..], 1, key);
                if (value is not null)
                {
                    at += ProtobufWriter.WriteStringField(span[at..], 2, value);
                }
            }
        }

#pragma warning disable CA5351 // The format's checksum is MD5: an integrity check against corruption, not a security use.
        MD5.HashData(span, output.AsSpan(AggregatedRecords.Magic.Length + _protobufBytes));
#pragma warning restore CA5351
        return output;
    }

    /// <summary>Starts a new, empty aggregate.</summary>
    public void Clear()
    {
        _partitionKeys.Clear();
        _partitionKeyIndexes.Clear();
        _explicitHashKeys.Clear();
        _explicitHashKeyIndexes.Clear();
        _records.Clear();
        _protobufBytes = 0;
    }

    private static int IndexOf(string key, List<string> table, Dictionary<string, int> indexes)
    {
        if (!indexes.TryGetValue(key, out var index))
        {
            index = table.Count;
            table.Add(key);
            indexes.Add(key, index);
        }

        return index;
    }

    /// <summary>The protobuf bytes adding <paramref name="record"/> costs: its <c>records</c> entry and any new table entries.</summary>
    private int Growth(UserRecord record, out int recordSize)
    {
        var growth = 0;
        if (!_partitionKeyIndexes.TryGetValue(record.PartitionKey, out var partitionKey))
        {
            partitionKey = _partitionKeys.Count;
            growth += ProtobufWriter.LengthDelimitedSize(Encoding.UTF8.GetByteCount(record.PartitionKey));
        }

        recordSize = ProtobufWriter.VarintFieldSize((ulong)partitionKey);
        if (record.ExplicitHashKey is { } ehk)
        {
            if (!_explicitHashKeyIndexes.TryGetValue(ehk, out var explicitHashKey))
            {
                explicitHashKey = _explicitHashKeys.Count;
                growth += ProtobufWriter.LengthDelimitedSize(Encoding.UTF8.GetByteCount(ehk));
            }

            recordSize += ProtobufWriter.VarintFieldSize((ulong)explicitHashKey);
        }

        recordSize += ProtobufWriter.LengthDelimitedSize(record.Data.Length);
        foreach (var (key, value) in record.Tags)
        {
            recordSize += ProtobufWriter.LengthDelimitedSize(TagSize(key, value));
        }

        return growth + ProtobufWriter.LengthDelimitedSize(recordSize);
    }

    private static int TagSize(string key, string? value) =>
        ProtobufWriter.LengthDelimitedSize(Encoding.UTF8.GetByteCount(key))
        + (value is null ? 0 : ProtobufWriter.LengthDelimitedSize(Encoding.UTF8.GetByteCount(value)));
}
