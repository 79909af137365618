using System.Globalization;

namespace Tracking.Api.Ingestion;

/// <summary>Client timestamps: ISO 8601; a value without an offset is taken as UTC, as analytics.js and the server SDKs mean it.</summary>
internal static class Timestamps
{
    /// <summary>Reads a time from a JSON string token: the common "…Z" form straight from UTF-8, anything else leniently.</summary>
    public static ClientTime Read(ref System.Text.Json.Utf8JsonReader reader)
    {
        if (!reader.ValueIsEscaped && reader.ValueSpan is [.., (byte)'Z'] && reader.TryGetDateTimeOffset(out var fast))
        {
            return new ClientTime(reader.GetString()!, fast);
        }

        var text = reader.GetString()!;
        return new ClientTime(text, TryParse(text, out var parsed) ? parsed : null);
    }

    public static bool TryParse(string value, out DateTimeOffset timestamp) =>
        DateTimeOffset.TryParse(
            value,
            CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AllowWhiteSpaces,
            out timestamp);
}

/// <summary>A time as the client sent it: the text (kept verbatim in originalTimestamp and sentAt) and its value, null when the text is no date.</summary>
internal readonly record struct ClientTime(string Text, DateTimeOffset? Value);
