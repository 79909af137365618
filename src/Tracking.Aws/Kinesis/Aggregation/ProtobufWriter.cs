using System.Text;

namespace Tracking.Aws.Kinesis.Aggregation;

/// <summary>Writes the protobuf wire forms the aggregation format uses, and says how long they are.</summary>
internal static class ProtobufWriter
{
    public static int VarintSize(ulong value)
    {
        var size = 1;
        while (value >= 0x80)
        {
            value >>= 7;
            size++;
        }

        return size;
    }

    /// <summary>Bytes of a length-delimited field of a one-byte tag (field numbers 1 to 15) and a body of <paramref name="length"/>.</summary>
    public static int LengthDelimitedSize(int length) => 1 + VarintSize((ulong)length) + length;

    /// <summary>Bytes of a varint field of a one-byte tag.</summary>
    public static int VarintFieldSize(ulong value) => 1 + VarintSize(value);

    public static int WriteVarint(Span<byte> destination, ulong value)
    {
        var i = 0;
        while (value >= 0x80)
        {
            destination[i++] = (byte)(value | 0x80);
            value >>= 7;
        }

        destination[i++] = (byte)value;
        return i;
    }

    public static int WriteTag(Span<byte> destination, int field, int wireType) =>
        WriteVarint(destination, (ulong)((field << 3) | wireType));

    public static int WriteVarintField(Span<byte> destination, int field, ulong value)
    {
        var written = WriteTag(destination, field, ProtobufReader.WireVarint);
        return written + WriteVarint(destination[written..], value);
    }

    public static int WriteBytesField(Span<byte> destination, int field, ReadOnlySpan<byte> value)
    {
        var written = WriteTag(destination, field, ProtobufReader.WireLengthDelimited);
        written += WriteVarint(destination[written..], (ulong)value.Length);
        value.CopyTo(destination[written..]);
        return written + value.Length;
    }

    public static int WriteStringField(Span<byte> destination, int field, string value)
    {
        var written = WriteTag(destination, field, ProtobufReader.WireLengthDelimited);
        var length = Encoding.UTF8.GetByteCount(value);
        written += WriteVarint(destination[written..], (ulong)length);
        return written + Encoding.UTF8.GetBytes(value, destination[written..]);
    }
}
