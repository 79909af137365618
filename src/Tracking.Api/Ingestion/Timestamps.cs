using System.Globalization;

namespace Tracking.Api.Ingestion;

/// <summary>Client timestamps: ISO 8601; a value without an offset is taken as UTC, as analytics.js and the server SDKs mean it.</summary>
internal static class Timestamps
{
    public static bool TryParse(string value, out DateTimeOffset timestamp) =>
        DateTimeOffset.TryParse(
            value,
            CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AllowWhiteSpaces,
            out timestamp);
}
