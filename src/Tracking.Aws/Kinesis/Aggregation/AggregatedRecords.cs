using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;

namespace Tracking.Aws.Kinesis.Aggregation;

/// <summary>
/// The Kinesis Producer Library's aggregated record format, as its <c>aggregation-format.md</c> defines it and the
/// KCL, Firehose and AWS's <c>aws-kinesis-agg</c> modules read it: the 4-byte magic <c>F3 89 9A C2</c>, a protobuf
/// <c>AggregatedRecord</c> (<c>partition_key_table</c> = 1, <c>explicit_hash_key_table</c> = 2, <c>records</c> = 3;
/// each <c>Record</c> has <c>partition_key_index</c> = 1, <c>explicit_hash_key_index</c> = 2, <c>data</c> = 3,
/// <c>tags</c> = 4; each <c>Tag</c> has <c>key</c> = 1, <c>value</c> = 2), then the 16-byte MD5 of the protobuf bytes.
/// </summary>
public static class AggregatedRecords
{
    /// <summary>The MD5 trailer's length.</summary>
    public const int DigestLength = 16;

    /// <summary>The magic, the trailer and nothing between: what an aggregate costs beyond its protobuf.</summary>
    public const int Overhead = 4 + DigestLength;

    /// <summary>The 4 bytes every aggregated record starts with.</summary>
    public static ReadOnlySpan<byte> Magic => [0xF3, 0x89, 0x9A, 0xC2];

    /// <summary>
    /// Whether <paramref name="data"/> claims to be an aggregated record: it starts with the magic and holds more
    /// than the magic and the trailer (the KCL's rule). Anything else is a plain record.
    /// </summary>
    public static bool IsAggregated(ReadOnlySpan<byte> data) => data.Length > Overhead && data.StartsWith(Magic);

    /// <summary>
    /// Decodes an aggregated record into its user records, in order. Fails, with the reason, when the MD5 trailer does
    /// not match, the protobuf is broken (a truncated field, a bad varint, a wrong wire type, a missing required
    /// field, a table index out of range, text that is not UTF-8), or it holds no user record. Never throws.
    /// </summary>
    public static bool TryDecode(ReadOnlyMemory<byte> data, [NotNullWhen(true)] out IReadOnlyList<UserRecord>? records, [NotNullWhen(false)] out string? error)
    {
        records = null;
        if (!IsAggregated(data.Span))
        {
            error = "not an aggregated record (no KPL magic, or too short)";
            return false;
        }

        var body = data[Magic.Length..^DigestLength];
        Span<byte> digest = stackalloc byte[DigestLength];
#pragma warning disable CA5351 // The format's checksum is MD5: an integrity check against corruption, not a security use.
        MD5.HashData(body.Span, digest);
#pragma warning restore CA5351
        if (!digest.SequenceEqual(data.Span[^DigestLength..]))
        {
            error = "KPL aggregated record whose MD5 trailer does not match its protobuf";
            return false;
        }

        try
        {
            records = Decode(body);
        }
        catch (FormatException exception)
        {
            error = $"KPL aggregated record with a broken protobuf: {exception.Message}";
            return false;
        }

        if (records.Count == 0)
        {
            records = null;
            error = "KPL aggregated record that holds no user records";
            return false;
        }

        error = null;
        return true;
    }

    private static List<UserRecord> Decode(ReadOnlyMemory<byte> body)
    {
        var partitionKeys = new List<string>();
        var explicitHashKeys = new List<string>();
        var rawRecords = new List<ReadOnlyMemory<byte>>();
        var reader = new ProtobufReader(body);
        while (!reader.AtEnd)
        {
            var (field, wireType) = reader.ReadTag();
            switch (field)
            {
                case 1:
                    partitionKeys.Add(Text(ref reader, wireType, "partition_key_table"));
                    break;
                case 2:
                    explicitHashKeys.Add(Text(ref reader, wireType, "explicit_hash_key_table"));
                    break;
                case 3:
                    Expect(wireType, ProtobufReader.WireLengthDelimited, "records");
                    rawRecords.Add(reader.ReadLengthDelimited());
                    break;
                default:
                    // A newer producer's field: protobuf readers skip what they do not know.
                    reader.Skip(wireType);
                    break;
            }
        }

        // The tables may follow the records on the wire, so indexes are resolved once everything is read.
        var records = new List<UserRecord>(rawRecords.Count);
        for (var i = 0; i < rawRecords.Count; i++)
        {
            records.Add(DecodeRecord(rawRecords[i], i, partitionKeys, explicitHashKeys));
        }

        return records;
    }

    private static UserRecord DecodeRecord(ReadOnlyMemory<byte> raw, int index, List<string> partitionKeys, List<string> explicitHashKeys)
    {
        ulong? partitionKeyIndex = null;
        ulong? explicitHashKeyIndex = null;
        ReadOnlyMemory<byte>? data = null;
        List<KeyValuePair<string, string?>>? tags = null;
        var reader = new ProtobufReader(raw);
        while (!reader.AtEnd)
        {
            var (field, wireType) = reader.ReadTag();
            switch (field)
            {
                case 1:
                    Expect(wireType, ProtobufReader.WireVarint, "partition_key_index");
                    partitionKeyIndex = reader.ReadVarint();
                    break;
                case 2:
                    Expect(wireType, ProtobufReader.WireVarint, "explicit_hash_key_index");
                    explicitHashKeyIndex = reader.ReadVarint();
                    break;
                case 3:
                    Expect(wireType, ProtobufReader.WireLengthDelimited, "data");
                    data = reader.ReadLengthDelimited();
                    break;
                case 4:
                    Expect(wireType, ProtobufReader.WireLengthDelimited, "tags");
                    (tags ??= []).Add(DecodeTag(reader.ReadLengthDelimited(), index));
                    break;
                default:
                    reader.Skip(wireType);
                    break;
            }
        }

        if (partitionKeyIndex is not { } pk)
        {
            throw new FormatException($"user record {index} has no partition_key_index");
        }

        if (data is not { } bytes)
        {
            throw new FormatException($"user record {index} has no data");
        }

        if (pk >= (ulong)partitionKeys.Count)
        {
            throw new FormatException($"user record {index} has partition_key_index {pk} but the table has {partitionKeys.Count} keys");
        }

        string? explicitHashKey = null;
        if (explicitHashKeyIndex is { } ehk)
        {
            if (ehk >= (ulong)explicitHashKeys.Count)
            {
                throw new FormatException($"user record {index} has explicit_hash_key_index {ehk} but the table has {explicitHashKeys.Count} keys");
            }

            explicitHashKey = explicitHashKeys[(int)ehk];
        }

        return new UserRecord(partitionKeys[(int)pk], explicitHashKey, bytes, (IReadOnlyList<KeyValuePair<string, string?>>?)tags ?? []);
    }

    private static KeyValuePair<string, string?> DecodeTag(ReadOnlyMemory<byte> raw, int index)
    {
        string? key = null;
        string? value = null;
        var reader = new ProtobufReader(raw);
        while (!reader.AtEnd)
        {
            var (field, wireType) = reader.ReadTag();
            switch (field)
            {
                case 1:
                    key = Text(ref reader, wireType, "tag key");
                    break;
                case 2:
                    value = Text(ref reader, wireType, "tag value");
                    break;
                default:
                    reader.Skip(wireType);
                    break;
            }
        }

        return key is null ? throw new FormatException($"a tag of user record {index} has no key") : new(key, value);
    }

    private static string Text(ref ProtobufReader reader, int wireType, string name)
    {
        Expect(wireType, ProtobufReader.WireLengthDelimited, name);
        var bytes = reader.ReadLengthDelimited();
        try
        {
            return StrictUtf8.GetString(bytes.Span);
        }
        catch (DecoderFallbackException)
        {
            throw new FormatException($"{name} holds bytes that are not UTF-8");
        }
    }

    private static void Expect(int wireType, int expected, string name)
    {
        if (wireType != expected)
        {
            throw new FormatException($"{name} has wire type {wireType}, not {expected}");
        }
    }

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
}
