using System.Globalization;

namespace Tracking.Api.Ingestion;

/// <summary>Client timestamps: ISO 8601; a value without an offset is taken as UTC, as analytics.js and the server SDKs mean it.</summary>
internal static class Timestamps
{
    /// <summary>
    /// Reads a time from the JSON string token the reader is on: the common "…Z" form straight from
    /// UTF-8, anything else leniently. The token's bytes are kept to be written back unchanged.
    /// </summary>
    public static ClientTime Read(ref System.Text.Json.Utf8JsonReader reader, ReadOnlyMemory<byte> body)
    {
        var start = (int)reader.TokenStartIndex;
        var raw = body[start..(int)reader.BytesConsumed];
        if (!reader.ValueIsEscaped && reader.ValueSpan is [.., (byte)'Z'] && reader.TryGetDateTimeOffset(out var fast))
        {
            return new ClientTime(raw, fast);
        }

        return new ClientTime(raw, TryParse(reader.GetString()!, out var parsed) ? parsed : null);
    }

    public static bool TryParse(string value, out DateTimeOffset timestamp) =>
        DateTimeOffset.TryParse(
            value,
            CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AllowWhiteSpaces,
            out timestamp);
}
