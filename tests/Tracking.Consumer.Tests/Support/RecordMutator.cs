using System.Text;

namespace Tracking.Consumer.Tests.Support;

/// <summary>
/// Turns records as the API writes them into what other producers (or broken ones) put on a stream: random byte
/// flips, inserts and deletes, invalid UTF-8 inside strings and keys, every JSON escape (lone surrogates and
/// <c>\u0000</c> among them) in keys and values, every JSON shape instead of an object, deep nesting, huge and tiny
/// numbers, odd and out-of-range times, a byte order mark, nothing at all. Seeded, so a failing run can be repeated.
/// </summary>
public sealed class RecordMutator(int seed)
{
    private static readonly byte[][] InvalidUtf8 =
    [
        [0xff], [0xfe], [0x80], [0xc3, 0x28], [0xc0, 0xaf], [0xe0, 0x80, 0xaf], [0xed, 0xa0, 0x80], [0xed, 0xbf, 0xbf],
        [0xf0, 0x9f, 0x98], [0xf4, 0x90, 0x80, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xe2, 0x82],
    ];

    private static readonly string[] Escapes =
    [
        "\\\"", "\\\\", "\\/", "\\b", "\\f", "\\n", "\\r", "\\t", "\\u0000", "\\u0001", "\\u001f", "\\u007f", "\\u00e9",
        "\\ud800", "\\udbff", "\\udc00", "\\udfff", "\\ud800\\udc00", "\\udbff\\udfff", "\\udc00\\ud800", "\\ud83d\\ude00",
        "\\ufeff", "\\uffff", "\\ufffe", "\\u2028", "\\uD800", "\\u12", "\\x41", "\\",
    ];

    private static readonly string[] Shapes =
    [
        "[]", "[{}]", "[1,2,3]", "\"a string\"", "42", "-0", "1e400", "true", "false", "null", "{}", "{\"messageId\":null}",
        " ", "\t\r\n", "{\"a\":1}{\"b\":2}", "{\"a\":1,}", "{'a':1}", "{\"a\":01}", "{\"a\":NaN}", "{\"a\":Infinity}",
        "{\"messageId\":12345}", "{\"messageId\":{\"a\":1}}", "{\"messageId\":[1]}", "{\"messageId\":true}",
        "{\"messageId\":\"\"}", "/* c */{}", "{\"a\":1} // c",
    ];

    private static readonly string[] Numbers =
    [
        "1e1000000", "-1e1000000", "1e308", "1.7976931348623157e308", "1.8e308", "1e-1000", "1e-1001", "1e-400",
        "123456789012345678901234567890123456789012345678901234567890", "0." + new string('0', 1200) + "1",
        new string('9', 400), "-0.0", "1E+2", "5e-324", "2e-324", "1e99999999999999999999",
    ];

    private static readonly string[] Times =
    [
        "\"0001-01-01T00:00:00Z\"", "\"0001-01-01T00:00:00.000Z\"", "\"9999-12-31T23:59:59.9999999Z\"", "\"9999-12-31T23:59:59.999Z\"",
        "\"0000-01-01T00:00:00Z\"", "\"0001-01-01T00:00:00+01:00\"", "\"9999-12-31T23:59:59-01:00\"", "\"10000-01-01T00:00:00Z\"",
        "\"12:00\"", "\"1/2/2026\"", "\"2026-02-30T00:00:00Z\"", "\"2026-01-01T24:00:00Z\"", "\"2026-12-31T23:59:60Z\"",
        "\"2026-01-01T00:00:00\"", "\"2026-01-01 00:00:00Z\"", "\"2026-01-01t00:00:00z\"", "\"2026-01-01T00:00:00+14:01\"",
        "\"2026-01-01T00:00:00.1234567891Z\"", "\"2026-01-01T00:00:00.123456789Z\"", "\"2026-01-01T00:00:00+05:30\"",
        "\"soon\"", "\"\"", "123", "1.5", "{}", "[]", "true", "null", "\"2026-01-01T00:00:00\\u0000Z\"",
    ];

    private static readonly string[] TimeFields = ["timestamp", "originalTimestamp", "sentAt", "receivedAt"];

    private readonly Random _random = new(seed);

    /// <summary>One mutation of <paramref name="record"/>, chosen at random.</summary>
    public byte[] Mutate(byte[] record)
    {
        var bytes = new List<byte>(record);
        switch (_random.Next(14))
        {
            case 0:
                for (var i = _random.Next(1, 4); i > 0 && bytes.Count > 0; i--)
                {
                    bytes[_random.Next(bytes.Count)] ^= (byte)(1 << _random.Next(8));
                }

                break;
            case 1:
                for (var i = _random.Next(1, 4); i > 0; i--)
                {
                    bytes.Insert(_random.Next(bytes.Count + 1), (byte)_random.Next(256));
                }

                break;
            case 2:
                if (bytes.Count > 0)
                {
                    var at = _random.Next(bytes.Count);
                    bytes.RemoveRange(at, Math.Min(_random.Next(1, 8), bytes.Count - at));
                }

                break;
            case 3:
                bytes.InsertRange(InsideString(bytes), Pick(InvalidUtf8));
                break;
            case 4:
                bytes.InsertRange(InsideKey(bytes), Encoding.ASCII.GetBytes(Pick(Escapes)));
                break;
            case 5:
                bytes.InsertRange(InsideString(bytes), Encoding.ASCII.GetBytes(Pick(Escapes)));
                break;
            case 6:
                return Encoding.UTF8.GetBytes(Pick(Shapes));
            case 7:
                return Nested(record, _random.Next(1, 200));
            case 8:
                return WithMember(record, "properties", $"{{\"n\":{Pick(Numbers)}}}");
            case 9:
                return WithMember(record, Pick(TimeFields), Pick(Times));
            case 10:
                return [0xef, 0xbb, 0xbf, .. record];
            case 11:
                return _random.Next(2) == 0 ? [] : [0xef, 0xbb, 0xbf];
            case 12:
                return WithMember(record, $"k{Pick(Escapes)}", "1");
            default:
                bytes.InsertRange(InsideKey(bytes), Pick(InvalidUtf8));
                break;
        }

        return [.. bytes];
    }

    private T Pick<T>(T[] items) => items[_random.Next(items.Length)];

    /// <summary>A position just after an opening quote of a string value.</summary>
    private int InsideString(List<byte> bytes) => AfterQuote(bytes, key: false);

    /// <summary>A position just after the opening quote of a key.</summary>
    private int InsideKey(List<byte> bytes) => AfterQuote(bytes, key: true);

    private int AfterQuote(List<byte> bytes, bool key)
    {
        var positions = new List<int>();
        for (var i = 1; i < bytes.Count; i++)
        {
            // A key's quote follows '{' or ','; a value's follows ':'.
            if (bytes[i] == (byte)'"' && (key ? bytes[i - 1] is (byte)'{' or (byte)',' : bytes[i - 1] == (byte)':'))
            {
                positions.Add(i + 1);
            }
        }

        return positions.Count == 0 ? _random.Next(bytes.Count + 1) : positions[_random.Next(positions.Count)];
    }

    private static byte[] Nested(byte[] record, int depth)
    {
        var text = Encoding.UTF8.GetString(record);
        var nested = new StringBuilder();
        for (var i = 0; i < depth; i++)
        {
            nested.Append(i % 2 == 0 ? "{\"n\":" : "[");
        }

        nested.Append('1');
        for (var i = depth - 1; i >= 0; i--)
        {
            nested.Append(i % 2 == 0 ? "}" : "]");
        }

        return Encoding.UTF8.GetBytes(Open(text) + ",\"traits\":" + nested + "}");
    }

    /// <summary>The record with one more member at its end; a later member wins over an earlier one of the same name.</summary>
    private static byte[] WithMember(byte[] record, string name, string json) =>
        Encoding.UTF8.GetBytes(Open(Encoding.UTF8.GetString(record)) + $",\"{name}\":{json}}}");

    /// <summary>The text without its last character, where another member goes (a record mutated already may have none).</summary>
    private static string Open(string text) => text.Length > 0 ? text[..^1] : "{";
}
