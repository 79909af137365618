using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace Tracking.Consumer.Tests.Support;

/// <summary>Records for the fuzz tests: real ones as the API writes them, and the bad ones the issue names, which
/// every run holds whatever its seed (<see cref="RecordMutator"/> makes the random ones).</summary>
public static class FuzzRecords
{
    /// <summary>A record shaped as the API's enricher writes it: times in UTC to the millisecond, context with the
    /// server's members, non-ASCII text in keys and values.</summary>
    public static byte[] Api(string messageId, int seq)
    {
        var at = new DateTimeOffset(2026, 12, 7, 5, 0, 0, TimeSpan.Zero).AddMilliseconds(seq * 137);
        string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fff'Z'", CultureInfo.InvariantCulture);
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("type", "track");
            json.WriteString("messageId", messageId);
            json.WriteString("userId", $"user-{seq % 37}");
            json.WriteString("anonymousId", $"anon-{seq % 41}");
            json.WriteString("event", "Order Completed");
            json.WriteStartObject("properties");
            json.WriteNumber("seq", seq);
            json.WriteNumber("revenue", 19.99);
            json.WriteString("currency", "EUR");
            json.WriteString("note", "café ☕ 𝄞");
            json.WriteStartArray("products");
            json.WriteStartObject();
            json.WriteString("sku", "A-1");
            json.WriteNumber("quantity", 2);
            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteEndObject();
            json.WriteStartObject("context");
            json.WriteStartObject("library");
            json.WriteString("name", "analytics.js");
            json.WriteString("version", "2.11.1");
            json.WriteEndObject();
            json.WriteStartObject("page");
            json.WriteString("path", "/checkout");
            json.WriteString("url", "https://shop.example/checkout?step=2");
            json.WriteEndObject();
            json.WriteString("locale", "de-DE");
            json.WriteString("ip", "127.0.0.1");
            json.WriteString("userAgent", "Mozilla/5.0 (X11; Linux x86_64)");
            json.WriteEndObject();
            json.WriteStartObject("integrations");
            json.WriteBoolean("All", true);
            json.WriteEndObject();
            json.WriteString("timestamp", Time(at));
            json.WriteString("originalTimestamp", Time(at.AddSeconds(-3)));
            json.WriteString("sentAt", Time(at.AddSeconds(-2)));
            json.WriteString("receivedAt", Time(at));
            json.WriteString("source", "web");
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary>The cases the issue names, in every run whatever the seed: a byte that is not UTF-8 inside a string
    /// and an escaped lone surrogate as a key stopped a shard; the others are their neighbours.</summary>
    public static IEnumerable<byte[]> Named()
    {
        var text = Encoding.UTF8.GetString(Api("named", 0));
        byte[] Replace(string old, byte[] replacement)
        {
            var at = text.IndexOf(old, StringComparison.Ordinal);
            return [.. Encoding.UTF8.GetBytes(text[..at]), .. replacement, .. Encoding.UTF8.GetBytes(text[(at + old.Length)..])];
        }

        byte[] Id(string id) => Encoding.UTF8.GetBytes(text.Replace("\"named\"", $"\"named-{id}\"", StringComparison.Ordinal));

        // Bytes that are not UTF-8 in a key: System.Text.Json's reader checks a string value's UTF-8 as it reads,
        // but a key's only when it is turned into text, which threw outside the dead-letter path.
        yield return Replace("\"currency\"", [(byte)'"', 0xed, 0xa0, 0x80, (byte)'"']); // a surrogate encoded as UTF-8
        yield return Replace("\"currency\"", [(byte)'"', 0x63, 0xc0, 0xaf, (byte)'"']); // an overlong form
        yield return Replace("\"type\"", [(byte)'"', 0x74, 0xf0, 0x9f, 0x98, (byte)'"']); // a truncated sequence, top level
        yield return Replace("Order Completed", [0x4f, 0xc0, 0xaf, 0x72]); // and in values
        yield return Replace("EUR", [0xf0, 0x9f, 0x98]);
        yield return Replace("Order Completed", [0xff]);
        yield return Replace("EUR", [0xc3, 0x28]);
        yield return Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(Id("key-top")).Replace("{\"type\"", "{\"\\ud800\":1,\"type\"", StringComparison.Ordinal));
        yield return Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(Id("key-nested")).Replace("\"currency\"", "\"\\ud800\"", StringComparison.Ordinal));
        yield return Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(Id("key-low")).Replace("\"currency\"", "\"\\udc00x\"", StringComparison.Ordinal));
        yield return Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(Id("value")).Replace("EUR", "\\ud800", StringComparison.Ordinal));
        yield return Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(Id("nul-key")).Replace("\"currency\"", "\"cur\\u0000\"", StringComparison.Ordinal));
        yield return Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(Id("nul-value")).Replace("EUR", "E\\u0000R", StringComparison.Ordinal));
        yield return Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(Id("big-number")).Replace("19.99", "1e400", StringComparison.Ordinal));
        yield return Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(Id("time-min")).Replace("\"2026-12-07T04:59:57.000Z\"", "\"0001-01-01T00:00:00Z\"", StringComparison.Ordinal));
        yield return Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(Id("time-culture")).Replace("\"2026-12-07T04:59:57.000Z\"", "\"1/2/2026\"", StringComparison.Ordinal));
        yield return Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(Id("huge")).Replace("EUR", new string('x', 600_000), StringComparison.Ordinal));
        yield return Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(Id("deep")).Replace("\"EUR\"", string.Concat(Enumerable.Repeat("[", 70)) + string.Concat(Enumerable.Repeat("]", 70)), StringComparison.Ordinal));
        foreach (var shape in new[] { "[]", "[{}]", "42", "\"text\"", "null", "true", "", "\uFEFF", "\uFEFF[]" })
        {
            yield return Encoding.UTF8.GetBytes(shape);
        }
    }

    /// <summary>Whether the record, less a leading byte order mark, is UTF-8 throughout and parses as one JSON object.</summary>
    public static bool IsJsonObject(byte[] data)
    {
        var json = data.AsSpan().StartsWith("\uFEFF"u8) ? data[3..] : data;
        if (!Utf8.IsValid(json))
        {
            return false;
        }

        try
        {
            using var document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 1000 });
            return document.RootElement.ValueKind == JsonValueKind.Object;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
