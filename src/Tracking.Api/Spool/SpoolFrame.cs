using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;
using Tracking.Api.Delivery;

namespace Tracking.Api.Spool;

/// <summary>
/// One event in a segment file: <c>[length u32][crc32 u32]</c> then the body the checksum covers,
/// <c>[position i64][acceptedAt ticks i64][messageId len u16 + UTF-8][partition key len u16 + UTF-8][JSON]</c>,
/// little-endian. A torn or corrupt frame fails its length or checksum test and ends the readable part of its file.
/// </summary>
internal static class SpoolFrame
{
    public const int HeaderBytes = 8;

    /// <summary>The largest body a frame may declare: far above any event (64 KB of JSON, 512 bytes of keys), far below a misread length.</summary>
    public const int MaxBodyBytes = 1 << 20;

    private const int FixedBodyBytes = 8 + 8 + 2 + 2;

    /// <summary>A frame read back: the event with its position, and when it was accepted.</summary>
    public readonly record struct Frame(EnrichedEvent Event, long AcceptedAtTicks);

    public enum ReadStatus
    {
        /// <summary>A whole, intact frame.</summary>
        Read,

        /// <summary>The buffer ends inside a frame: read more (or, at the end of the file, a torn last write).</summary>
        Incomplete,

        /// <summary>The bytes are not a frame: a length out of range (zero-filled space included) or a checksum that does not match.</summary>
        Corrupt,
    }

    public static int SizeOf(in EnrichedEvent e) =>
        HeaderBytes + FixedBodyBytes + Encoding.UTF8.GetByteCount(e.MessageId) + Encoding.UTF8.GetByteCount(e.PartitionKey) + e.Json.Length;

    /// <summary>Writes <paramref name="e"/> at <paramref name="position"/> into <paramref name="destination"/> and returns the bytes written.</summary>
    public static int Write(Span<byte> destination, in EnrichedEvent e, long position, long acceptedAtTicks)
    {
        var body = destination[HeaderBytes..];
        BinaryPrimitives.WriteInt64LittleEndian(body, position);
        BinaryPrimitives.WriteInt64LittleEndian(body[8..], acceptedAtTicks);
        var at = 16;
        at += WriteString(body[at..], e.MessageId);
        at += WriteString(body[at..], e.PartitionKey);
        e.Json.CopyTo(body[at..]);
        at += e.Json.Length;

        BinaryPrimitives.WriteUInt32LittleEndian(destination, (uint)at);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[4..], Crc32.HashToUInt32(body[..at]));
        return HeaderBytes + at;
    }

    /// <summary>Reads the frame at the start of <paramref name="source"/>; <paramref name="consumed"/> is its size when read.</summary>
    public static ReadStatus TryRead(ReadOnlySpan<byte> source, out Frame frame, out int consumed)
    {
        frame = default;
        consumed = 0;
        if (source.Length < HeaderBytes)
        {
            return ReadStatus.Incomplete;
        }

        var length = BinaryPrimitives.ReadUInt32LittleEndian(source);
        if (length is < FixedBodyBytes or > MaxBodyBytes)
        {
            return ReadStatus.Corrupt;
        }

        if (source.Length < HeaderBytes + length)
        {
            return ReadStatus.Incomplete;
        }

        var body = source.Slice(HeaderBytes, (int)length);
        if (Crc32.HashToUInt32(body) != BinaryPrimitives.ReadUInt32LittleEndian(source[4..]))
        {
            return ReadStatus.Corrupt;
        }

        var position = BinaryPrimitives.ReadInt64LittleEndian(body);
        var ticks = BinaryPrimitives.ReadInt64LittleEndian(body[8..]);
        var at = 16;
        if (!TryReadString(body, ref at, out var messageId) || !TryReadString(body, ref at, out var partitionKey))
        {
            return ReadStatus.Corrupt;
        }

        frame = new Frame(new EnrichedEvent(body[at..].ToArray(), messageId, partitionKey, position), ticks);
        consumed = HeaderBytes + (int)length;
        return ReadStatus.Read;
    }

    private static int WriteString(Span<byte> destination, string value)
    {
        var written = Encoding.UTF8.GetBytes(value, destination[2..]);
        BinaryPrimitives.WriteUInt16LittleEndian(destination, (ushort)written);
        return 2 + written;
    }

    private static bool TryReadString(ReadOnlySpan<byte> body, ref int at, out string value)
    {
        value = string.Empty;
        if (at + 2 > body.Length)
        {
            return false;
        }

        var length = BinaryPrimitives.ReadUInt16LittleEndian(body[at..]);
        if (at + 2 + length > body.Length)
        {
            return false;
        }

        value = Encoding.UTF8.GetString(body.Slice(at + 2, length));
        at += 2 + length;
        return true;
    }
}
