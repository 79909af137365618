using System.Globalization;
using System.Text.Json;
using Tracking.Aws.Kinesis;
using Tracking.Events;

namespace Tracking.Consumer.Loading;

/// <summary>One event as the <c>events</c> table holds it; JSON columns keep their JSON text. The record it came
/// from stays attached, so a row the database still refuses can become a dead letter byte for byte.</summary>
internal sealed record EventRow(
    string SequenceNumber,
    ReadOnlyMemory<byte> Payload,
    string MessageId,
    string? Type,
    string? Event,
    string? Name,
    string? UserId,
    string? AnonymousId,
    string? GroupId,
    string? PreviousId,
    DateTimeOffset? Timestamp,
    DateTimeOffset? OriginalTimestamp,
    DateTimeOffset? SentAt,
    DateTimeOffset? ReceivedAt,
    string? Source,
    string? Context,
    string? Properties,
    string? Traits,
    string? Integrations);

/// <summary>A record the warehouse cannot hold, kept byte for byte with the reason.</summary>
internal sealed record DeadLetter(string SequenceNumber, string Reason, ReadOnlyMemory<byte> Payload);

/// <summary>
/// Turns a stream record into a row, or into a dead letter when it is not a JSON object or holds something the
/// warehouse refuses (PostgreSQL's text and jsonb refuse <c>\u0000</c>; a primary key longer than its index allows).
/// Deciding here, before the load, keeps one bad record from failing the transaction of its whole batch.
/// </summary>
internal static class EventRecords
{
    /// <summary>The longest <c>messageId</c> kept: well under the 2,704-byte limit of a PostgreSQL b-tree index row.</summary>
    internal const int MaxMessageIdLength = 512;

    private const int MaxDepth = 64;

    /// <summary>The id given to a record without <c>messageId</c>: the same on every replay of the record.</summary>
    internal static string DerivedMessageId(string stream, string shardId, string sequenceNumber) =>
        $"kinesis:{stream}:{shardId}:{sequenceNumber}";

    /// <summary>Parses one record; exactly one of the results is set.</summary>
    public static (EventRow? Row, DeadLetter? DeadLetter) Parse(string stream, string shardId, KinesisRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        try
        {
            using var document = JsonDocument.Parse(record.Data, new JsonDocumentOptions { MaxDepth = MaxDepth });
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return Dead(record, $"not a JSON object but {root.ValueKind}");
            }

            // Raw control characters are invalid JSON, so only a \u escape can hide a NUL or a lone surrogate:
            // most records have none and skip the walk.
            if (record.Data.Span.IndexOf("\\u"u8) >= 0 && FindUnstorableText(root) is { } problem)
            {
                return Dead(record, problem);
            }

            var messageId = Text(root, EventFields.MessageId);
            if (string.IsNullOrEmpty(messageId))
            {
                messageId = DerivedMessageId(stream, shardId, record.SequenceNumber);
            }
            else if (messageId.Length > MaxMessageIdLength)
            {
                return Dead(record, $"messageId is longer than {MaxMessageIdLength} characters ({messageId.Length})");
            }

            var times = new DateTimeOffset?[4];
            string[] timeFields = [EventFields.Timestamp, EventFields.OriginalTimestamp, EventFields.SentAt, EventFields.ReceivedAt];
            for (var i = 0; i < timeFields.Length; i++)
            {
                if (!TryTime(root, timeFields[i], out times[i]))
                {
                    return Dead(record, $"{timeFields[i]} is not an ISO 8601 date and time");
                }
            }

            var row = new EventRow(
                record.SequenceNumber,
                record.Data,
                messageId,
                Text(root, EventFields.Type),
                Text(root, EventFields.Event),
                Text(root, EventFields.Name),
                Text(root, EventFields.UserId),
                Text(root, EventFields.AnonymousId),
                Text(root, EventFields.GroupId),
                Text(root, EventFields.PreviousId),
                times[0],
                times[1],
                times[2],
                times[3],
                Text(root, EventFields.Source),
                Json(root, EventFields.Context),
                Json(root, EventFields.Properties),
                Json(root, EventFields.Traits),
                Json(root, EventFields.Integrations));
            return (row, null);
        }
        catch (JsonException exception)
        {
            return Dead(record, $"not JSON: {exception.Message}");
        }
    }

    private static (EventRow?, DeadLetter?) Dead(KinesisRecord record, string reason) =>
        (null, new DeadLetter(record.SequenceNumber, reason, record.Data));

    /// <summary>Why some text of the document cannot be stored, or <see langword="null"/>.</summary>
    private static string? FindUnstorableText(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    if (Unstorable(property.Name) is { } nameProblem)
                    {
                        return nameProblem;
                    }

                    if (FindUnstorableText(property.Value) is { } valueProblem)
                    {
                        return valueProblem;
                    }
                }

                return null;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    if (FindUnstorableText(item) is { } problem)
                    {
                        return problem;
                    }
                }

                return null;
            case JsonValueKind.String:
                try
                {
                    return Unstorable(element.GetString()!);
                }
                catch (InvalidOperationException)
                {
                    return "a string holds an unpaired UTF-16 surrogate, which jsonb refuses";
                }

            default:
                return null;
        }
    }

    private static string? Unstorable(string text) =>
        text.Contains('\0', StringComparison.Ordinal) ? "a string holds \\u0000, which PostgreSQL text and jsonb refuse (22P05)" : null;

    private static string? Text(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value)
            ? value.ValueKind switch
            {
                JsonValueKind.Null or JsonValueKind.Undefined => null,
                JsonValueKind.String => value.GetString(),
                _ => value.GetRawText(),
            }
            : null;

    private static string? Json(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind is not (JsonValueKind.Null or JsonValueKind.Undefined)
            ? value.GetRawText()
            : null;

    private static bool TryTime(JsonElement root, string name, out DateTimeOffset? time)
    {
        time = null;
        if (!root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return true;
        }

        if (value.ValueKind == JsonValueKind.String
            && DateTimeOffset.TryParse(value.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed))
        {
            time = parsed.ToUniversalTime();
            return true;
        }

        return false;
    }
}
