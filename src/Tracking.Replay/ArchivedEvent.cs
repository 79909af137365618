using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Tracking.Replay;

/// <summary>One line of the archive, as the API wrote it: the enriched event's bytes, when it was received, and the
/// partition key the API's Kinesis sink gives it (<c>anonymousId</c>, else <c>userId</c>), so a replayed user's events
/// go to the shard its live events go to.</summary>
internal sealed partial record ArchivedEvent(ReadOnlyMemory<byte> Json, string MessageId, DateTimeOffset ReceivedAt, string PartitionKey)
{
    /// <summary>Kinesis's longest partition key.</summary>
    private const int MaxPartitionKeyLength = 256;

    /// <summary>The event on <paramref name="line"/>, or why it cannot be replayed.</summary>
    public static (ArchivedEvent? Event, string? Problem) Parse(ReadOnlyMemory<byte> line)
    {
        try
        {
            using var document = JsonDocument.Parse(line);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return (null, "not a JSON object");
            }

            if (Text(root, "messageId") is not { Length: > 0 } messageId)
            {
                return (null, "no messageId");
            }

            if (Text(root, "receivedAt") is not { } receivedText || !TryParseTime(receivedText, out var receivedAt))
            {
                return (null, "no receivedAt in ISO 8601");
            }

            var key = Text(root, "anonymousId") is { Length: > 0 } anonymous ? anonymous : Text(root, "userId") is { Length: > 0 } user ? user : messageId;
            return (new ArchivedEvent(line, messageId, receivedAt, key.Length > MaxPartitionKeyLength ? key[..MaxPartitionKeyLength] : key), null);
        }
        catch (JsonException)
        {
            return (null, "not JSON");
        }
    }

    /// <summary>An ISO 8601 date and time with seconds and an offset (<c>Z</c> or <c>±hh:mm</c>), as the API writes.</summary>
    public static bool TryParseTime(string text, out DateTimeOffset time)
    {
        time = default;
        return IsoTime().IsMatch(text)
            && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out time);
    }

    private static string? Text(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value)
            ? value.ValueKind switch
            {
                JsonValueKind.String => value.GetString(),
                JsonValueKind.Number => value.GetRawText(),
                _ => null,
            }
            : null;

    [GeneratedRegex(@"\A\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,7})?(Z|[+-]\d{2}:\d{2})\z", RegexOptions.CultureInvariant)]
    private static partial Regex IsoTime();
}
