namespace Tracking.Aws.Kinesis.Aggregation;

/// <summary>
/// Reads the few protobuf wire forms the aggregation format uses: varints, length-delimited fields, and (to skip
/// fields of a newer producer) fixed 32- and 64-bit values. Every read checks bounds and fails with
/// <see cref="FormatException"/>, so no input, however broken, gets past it as something else.
/// </summary>
internal struct ProtobufReader(ReadOnlyMemory<byte> buffer)
{
    public const int WireVarint = 0;
    public const int WireFixed64 = 1;
    public const int WireLengthDelimited = 2;
    public const int WireFixed32 = 5;

    private int _position;

    public readonly bool AtEnd => _position >= buffer.Length;

    public readonly int Position => _position;

    /// <summary>The next field's number and wire type.</summary>
    public (ulong Field, int WireType) ReadTag()
    {
        var tag = ReadVarint();
        var field = tag >> 3;
        if (field == 0)
        {
            throw new FormatException($"field number 0 at byte {_position}");
        }

        return (field, (int)(tag & 7));
    }

    public ulong ReadVarint()
    {
        var span = buffer.Span;
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (_position >= span.Length)
            {
                throw new FormatException("a varint runs past the end");
            }

            var b = span[_position++];

            // The tenth byte may carry only the 64th bit.
            if (shift == 63 && b > 1)
            {
                throw new FormatException("a varint is longer than 64 bits");
            }

            value |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return value;
            }
        }

        throw new FormatException("a varint is longer than 10 bytes");
    }

    public ReadOnlyMemory<byte> ReadLengthDelimited()
    {
        var length = ReadVarint();
        if (length > (ulong)(buffer.Length - _position))
        {
            throw new FormatException($"a field of {length} bytes runs past the end ({buffer.Length - _position} left)");
        }

        var slice = buffer.Slice(_position, (int)length);
        _position += (int)length;
        return slice;
    }

    public void Skip(int wireType)
    {
        switch (wireType)
        {
            case WireVarint:
                ReadVarint();
                break;
            case WireFixed64:
                Advance(8);
                break;
            case WireLengthDelimited:
                ReadLengthDelimited();
                break;
            case WireFixed32:
                Advance(4);
                break;
            default:
                // Groups (3, 4) are deprecated and never in this format; 6 and 7 do not exist.
                throw new FormatException($"wire type {wireType} at byte {_position}");
        }
    }

    private void Advance(int count)
    {
        if (buffer.Length - _position < count)
        {
            throw new FormatException("a fixed-width field runs past the end");
        }

        _position += count;
    }
}
