using System.Text;

namespace Tracking.Api.Tests.Unit.Enrichment;

/// <summary>
/// Writes the smallest MaxMind DB files (format 2.0) a hostile or careless operator could point the API at: an IPv4
/// search tree of one node whose two records both lead to one data record, with metadata members left out or of the
/// wrong type. Values are written as given: string, int (uint32), ushort (uint16), ulong (uint64), double,
/// dictionaries (maps) and lists (arrays).
/// </summary>
internal static class HandMadeMmdb
{
    private static readonly byte[] MetadataMarker = [0xAB, 0xCD, 0xEF, .. "MaxMind.com"u8];

    /// <summary>Writes the file; <paramref name="databaseType"/> null leaves the member out, any other value is written as it is.</summary>
    public static string Write(object record, object? databaseType)
    {
        var data = new List<byte>();
        Encode(data, record);
        var metadata = new Dictionary<string, object>
        {
            ["binary_format_major_version"] = (ushort)2,
            ["binary_format_minor_version"] = (ushort)0,
            ["build_epoch"] = 1_765_000_000UL,
            ["description"] = new Dictionary<string, object>(),
            ["ip_version"] = (ushort)4,
            ["languages"] = new List<object>(),
            ["node_count"] = 1,
            ["record_size"] = (ushort)24,
        };
        if (databaseType is not null)
        {
            metadata["database_type"] = databaseType;
        }

        // One node of two 24-bit records, each pointing at the data record: node_count + 16 + its offset (0).
        var file = new List<byte> { 0, 0, 17, 0, 0, 17 };
        file.AddRange(new byte[16]);
        file.AddRange(data);
        file.AddRange(MetadataMarker);
        Encode(file, metadata);
        var path = Path.Combine(Path.GetTempPath(), $"hand-made-{Guid.NewGuid():N}.mmdb");
        File.WriteAllBytes(path, [.. file]);
        return path;
    }

    private static void Encode(List<byte> output, object value)
    {
        switch (value)
        {
            case string text:
                var bytes = Encoding.UTF8.GetBytes(text);
                Control(output, 2, bytes.Length);
                output.AddRange(bytes);
                break;
            case double number:
                Control(output, 3, 8);
                output.AddRange(BitConverter.GetBytes(number).Reverse());
                break;
            case ushort small:
                Unsigned(output, 5, small);
                break;
            case int count:
                Unsigned(output, 6, (ulong)count);
                break;
            case ulong large:
                Unsigned(output, 9, large);
                break;
            case Dictionary<string, object> map:
                Control(output, 7, map.Count);
                foreach (var (key, member) in map)
                {
                    Encode(output, key);
                    Encode(output, member);
                }

                break;
            case List<object> array:
                Control(output, 11, array.Count);
                array.ForEach(item => Encode(output, item));
                break;
            default:
                throw new ArgumentException($"cannot write {value.GetType()}", nameof(value));
        }
    }

    private static void Unsigned(List<byte> output, int type, ulong value)
    {
        var bytes = BitConverter.GetBytes(value).Reverse().SkipWhile(b => b == 0).ToArray();
        Control(output, type, bytes.Length);
        output.AddRange(bytes);
    }

    // Sizes here are all under 29, so the size fits in the control byte; types above 7 take a second byte.
    private static void Control(List<byte> output, int type, int size)
    {
        if (size >= 29)
        {
            throw new ArgumentOutOfRangeException(nameof(size), "hand-made files keep every value under 29 bytes or members");
        }

        if (type <= 7)
        {
            output.Add((byte)((type << 5) | size));
        }
        else
        {
            output.Add((byte)size);
            output.Add((byte)(type - 7));
        }
    }
}
