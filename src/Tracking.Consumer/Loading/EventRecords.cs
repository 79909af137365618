using System.Globalization;
using System.Text;
using System.Text.Unicode;
using System.Text.Json;
using Tracking.Aws.Kinesis;
using Tracking.Consumer.Warehouse;
using Tracking.Events;

namespace Tracking.Consumer.Loading;

/// <summary>
/// Turns a stream record into a row, or into a dead letter with its reason. Whatever the bytes, exactly one of the
/// two comes out and nothing is thrown: a record is a row only when it is UTF-8 throughout, one JSON object of at
/// most <see cref="MaxDepth"/> levels, with no string or key that unescapes to <c>\u0000</c> or an unpaired UTF-16
/// surrogate (PostgreSQL's text and jsonb, and Redshift's VARCHAR and SUPER, refuse both), no number beyond a
/// 64-bit float or with more than <see cref="MaxNumberScale"/> decimals (what jsonb's <c>numeric</c> and SUPER both
/// hold), and a <c>messageId</c> of at most <see cref="MaxMessageIdLength"/> characters. Deciding here, before the
/// load, keeps bad records from costing their batch a retry; whatever the database still refuses is narrowed down
/// by the loader.
/// </summary>
internal static class EventRecords
{
    /// <summary>The longest <c>messageId</c> kept: <see cref="EventColumns.MaxMessageIdLength"/>.</summary>
    internal const int MaxMessageIdLength = EventColumns.MaxMessageIdLength;

    /// <summary>The deepest nesting of objects and arrays kept.</summary>
    internal const int MaxDepth = 64;

    /// <summary>The most decimals a number may have once its exponent is applied (jsonb's numeric holds 16,383).</summary>
    internal const int MaxNumberScale = 1000;

    /// <summary>The top-level time fields, in column order.</summary>
    internal static readonly string[] TimeFields = [EventFields.Timestamp, EventFields.OriginalTimestamp, EventFields.SentAt, EventFields.ReceivedAt];

    /// <summary>The id given to a record without <c>messageId</c>: the same on every replay of the record.</summary>
    internal static string DerivedMessageId(string stream, string shardId, string sequenceNumber) =>
        $"kinesis:{stream}:{shardId}:{sequenceNumber}";

    /// <summary>Parses one record; exactly one of the results is set, whatever the record holds.</summary>
    public static (EventRow? Row, DeadLetter? DeadLetter) Parse(string stream, string shardId, KinesisRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        try
        {
            return ParseObject(stream, shardId, record);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            // The checks above are meant to leave nothing for this; should one be missed, the shard still moves on.
            return Dead(record, $"unreadable: {exception.GetType().Name}: {exception.Message}");
        }
    }

    private static (EventRow?, DeadLetter?) ParseObject(string stream, string shardId, KinesisRecord record)
    {
        var json = record.Data;

        // A byte order mark is no part of the JSON (RFC 8259 lets a parser ignore it): some writers add one.
        if (json.Span.StartsWith("\uFEFF"u8))
        {
            json = json[3..];
        }

        if (!Utf8.IsValid(json.Span))
        {
            return Dead(record, string.Create(CultureInfo.InvariantCulture, $"not UTF-8: an invalid byte sequence at byte {FirstInvalidByte(json.Span)}"));
        }

        if (Unstorable(json.Span) is { } problem)
        {
            return Dead(record, problem);
        }

        using var document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = MaxDepth });
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            return Dead(record, $"not a JSON object but {root.ValueKind}");
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

        var times = new DateTimeOffset?[TimeFields.Length];
        List<(string Name, string Raw)>? unparsed = null;
        for (var i = 0; i < TimeFields.Length; i++)
        {
            if (!root.TryGetProperty(TimeFields[i], out var value) || value.ValueKind == JsonValueKind.Null)
            {
                continue;
            }

            if (value.ValueKind == JsonValueKind.String && EventTimes.TryParse(value.GetString(), out var time))
            {
                times[i] = time;
            }
            else
            {
                (unparsed ??= []).Add((TimeFields[i], value.GetRawText()));
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
            Json(root, EventFields.Integrations),
            unparsed is null ? null : UnparsedTimesJson(unparsed),
            Json(root, EventFields.Violations));
        return (row, null);
    }

    private static (EventRow?, DeadLetter?) Dead(KinesisRecord record, string reason) =>
        (null, new DeadLetter(record.SequenceNumber, reason, record.Data));

    private static int FirstInvalidByte(ReadOnlySpan<byte> bytes)
    {
        var position = 0;
        while (position < bytes.Length)
        {
            if (System.Text.Rune.DecodeFromUtf8(bytes[position..], out _, out var consumed) != System.Buffers.OperationStatus.Done)
            {
                return position;
            }

            position += consumed;
        }

        return position;
    }

    /// <summary>Why some token of the (UTF-8, so far unchecked) JSON cannot be stored, or <see langword="null"/>.</summary>
    private static string? Unstorable(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = MaxDepth });
        try
        {
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.PropertyName or JsonTokenType.String when reader.ValueIsEscaped:
                        // Raw control characters are invalid JSON, so only an escape can hide a NUL or a lone surrogate.
                        var what = reader.TokenType == JsonTokenType.PropertyName ? "a key" : "a string";
                        string text;
                        try
                        {
                            text = reader.GetString()!;
                        }
                        catch (InvalidOperationException)
                        {
                            return $"{what} holds an unpaired UTF-16 surrogate escape, which PostgreSQL and Redshift refuse (at byte {reader.TokenStartIndex})";
                        }

                        if (text.Contains('\0', StringComparison.Ordinal))
                        {
                            return $"{what} holds \\u0000, which PostgreSQL text and jsonb refuse (22P05) (at byte {reader.TokenStartIndex})";
                        }

                        break;
                    case JsonTokenType.Number when NumberProblem(reader.ValueSpan) is { } problem:
                        return string.Create(CultureInfo.InvariantCulture, $"{problem} (at byte {reader.TokenStartIndex})");
                }
            }
        }
        catch (JsonException exception)
        {
            return json.IsEmpty ? "not JSON: the record is empty" : $"not JSON: {exception.Message}";
        }

        return null;
    }

    private static string? NumberProblem(ReadOnlySpan<byte> number)
    {
        if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value))
        {
            return "a number is beyond the range of a 64-bit float, which Redshift's SUPER holds at most";
        }

        var exponentAt = number.IndexOfAny((byte)'e', (byte)'E');
        var mantissa = exponentAt < 0 ? number : number[..exponentAt];
        var point = mantissa.IndexOf((byte)'.');
        long scale = point < 0 ? 0 : mantissa.Length - point - 1;
        if (exponentAt >= 0)
        {
            var exponent = number[(exponentAt + 1)..];
            var negative = exponent.Length > 0 && exponent[0] == (byte)'-';
            long magnitude = 0;
            foreach (var digit in exponent.TrimStart("+-"u8))
            {
                magnitude = Math.Min((magnitude * 10) + (digit - '0'), int.MaxValue);
            }

            scale += negative ? magnitude : -magnitude;
        }

        return scale > MaxNumberScale ? $"a number has more than {MaxNumberScale} decimals" : null;
    }

    private static string UnparsedTimesJson(List<(string Name, string Raw)> fields)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var (name, raw) in fields)
            {
                writer.WritePropertyName(name);
                writer.WriteRawValue(raw, skipInputValidation: true);
            }

            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

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
}
