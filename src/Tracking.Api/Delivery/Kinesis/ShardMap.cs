using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Tracking.Aws.Kinesis;

namespace Tracking.Api.Delivery.Kinesis;

/// <summary>
/// Which open shard a partition key lands on, computed the way Kinesis does: the MD5 of the key's UTF-8 bytes,
/// read as an unsigned 128-bit big-endian number, falls in exactly one open shard's hash key range. Immutable;
/// a new map replaces it after a reshard.
/// </summary>
internal sealed class ShardMap
{
    private readonly UInt128[] _starts;
    private readonly string?[] _shardIds;

    private ShardMap(UInt128[] starts, string?[] shardIds)
    {
        _starts = starts;
        _shardIds = shardIds;
    }

    /// <summary>
    /// One lane for the whole key space with no shard known, used until ListShards has answered: it keeps every
    /// key in order at the price of one request in flight.
    /// </summary>
    public static ShardMap Unknown { get; } = new([UInt128.Zero], [null]);

    /// <summary>The shard ids in hash key order; a single null for <see cref="Unknown"/>.</summary>
    public IReadOnlyList<string?> ShardIds => _shardIds;

    public int Count => _shardIds.Length;

    /// <summary>A map of the open shards (those without an ending sequence number) among <paramref name="shards"/>.</summary>
    /// <exception cref="InvalidOperationException">No shard is open, or the open shards leave part of the key space uncovered.</exception>
    public static ShardMap FromOpenShards(IEnumerable<Shard> shards)
    {
        var open = shards
            .Where(s => s.SequenceNumberRange.EndingSequenceNumber is null)
            .Select(s => (Start: UInt128.Parse(s.HashKeyRange.StartingHashKey, CultureInfo.InvariantCulture), End: UInt128.Parse(s.HashKeyRange.EndingHashKey, CultureInfo.InvariantCulture), s.ShardId))
            .OrderBy(s => s.Start)
            .ToList();
        if (open.Count == 0)
        {
            throw new InvalidOperationException("ListShards returned no open shard.");
        }

        // Open shards tile the key space exactly; a gap means the listing was taken mid-reshard.
        var expected = UInt128.Zero;
        for (var i = 0; i < open.Count; i++)
        {
            if (open[i].Start != expected || (i < open.Count - 1 && open[i].End == UInt128.MaxValue))
            {
                throw new InvalidOperationException($"The open shards do not cover the hash key space in one piece (shard {open[i].ShardId} starts at {open[i].Start}, expected {expected}).");
            }

            expected = open[i].End + UInt128.One;
        }

        if (open[^1].End != UInt128.MaxValue)
        {
            throw new InvalidOperationException($"The open shards end at hash key {open[^1].End}, short of 2^128 - 1.");
        }

        return new ShardMap([.. open.Select(s => s.Start)], [.. open.Select(s => s.ShardId)]);
    }

    /// <summary>The index (in <see cref="ShardIds"/>) of the shard <paramref name="partitionKey"/> lands on.</summary>
    public int IndexOf(string partitionKey) => _starts.Length == 1 ? 0 : IndexOf(HashKey(partitionKey));

    /// <summary>The index (in <see cref="ShardIds"/>) of the shard that owns <paramref name="hashKey"/>.</summary>
    public int IndexOf(UInt128 hashKey)
    {
        var index = Array.BinarySearch(_starts, hashKey);
        return index >= 0 ? index : ~index - 1;
    }

    public bool SameShardsAs(ShardMap other) => _shardIds.AsSpan().SequenceEqual(other._shardIds);

    /// <summary>The 128-bit hash key Kinesis derives from a partition key.</summary>
    public static UInt128 HashKey(string partitionKey)
    {
        var length = Encoding.UTF8.GetMaxByteCount(partitionKey.Length);
        byte[]? rented = null;
        var bytes = length <= 1024 ? stackalloc byte[length] : (rented = ArrayPool<byte>.Shared.Rent(length));
        try
        {
            var written = Encoding.UTF8.GetBytes(partitionKey, bytes);
            Span<byte> digest = stackalloc byte[16];
#pragma warning disable CA5351 // Kinesis defines shard routing as the MD5 of the partition key; nothing here is a security use.
            MD5.HashData(bytes[..written], digest);
#pragma warning restore CA5351
            return BinaryPrimitives.ReadUInt128BigEndian(digest);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }
}
