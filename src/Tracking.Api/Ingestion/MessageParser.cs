using System.Text;
using System.Text.Json;
using Tracking.Api.Enrichment;
using Tracking.Events;

namespace Tracking.Api.Ingestion;

/// <summary>
/// Reads Segment request bodies with <see cref="Utf8JsonReader"/> straight from the request
/// buffer. Malformed JSON throws <see cref="JsonException"/> with the line and byte where it broke.
/// </summary>
internal static class MessageParser
{
    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = 64 };

    /// <summary>Reads the body of <c>/v1/track</c>, <c>/v1/identify</c>, ...: one message whose type the route names.</summary>
    public static ParsedRequest ParseSingle(ReadOnlyMemory<byte> body, EventType type)
    {
        var request = new ParsedRequest();
        var reader = new Utf8JsonReader(body.Span, ReaderOptions);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            SkipToEnd(ref reader);
            request.ShapeError = "The body must be a JSON object holding one message.";
            return request;
        }

        var message = new IncomingMessage { Index = 0, Type = type, TypeName = type.ToWireName() };
        ReadMessage(ref reader, body, message, takeTypeFromBody: false);
        message.SizeBytes = (int)reader.BytesConsumed;
        SkipToEnd(ref reader);
        request.WriteKey = message.WriteKey;
        request.Messages.Add(message);
        return request;
    }

    /// <summary>Reads the body of <c>/v1/batch</c> and <c>/v1/import</c>: <c>{"batch":[...], "sentAt", "context", "integrations", "writeKey"}</c>.</summary>
    public static ParsedRequest ParseBatch(ReadOnlyMemory<byte> body)
    {
        var request = new ParsedRequest();
        var reader = new Utf8JsonReader(body.Span, ReaderOptions);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            SkipToEnd(ref reader);
            request.ShapeError = "The body must be a JSON object with a \"batch\" array.";
            return request;
        }

        var sawBatch = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("batch"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.StartArray)
                {
                    sawBatch = true;
                    ReadBatchItems(ref reader, body, request);
                }
                else
                {
                    reader.Skip();
                    request.ShapeError = "\"batch\" must be an array of messages.";
                }
            }
            else if (reader.ValueTextEquals("writeKey"u8))
            {
                reader.Read();
                request.WriteKey = ReadString(ref reader, "writeKey", null);
            }
            else if (reader.ValueTextEquals("sentAt"u8))
            {
                reader.Read();
                request.BatchSentAt = ReadTime(ref reader, body, EventFields.SentAt, null);
                if (reader.TokenType is not (JsonTokenType.String or JsonTokenType.Null) || request.BatchSentAt is { Value: null })
                {
                    request.ShapeError ??= "The batch's 'sentAt' must be an ISO 8601 date-time, e.g. \"2026-11-21T10:15:30.000Z\".";
                }
            }
            else if (reader.ValueTextEquals("context"u8))
            {
                reader.Read();
                request.BatchContext = ReadObject(ref reader, body, "context", null);
                if (reader.TokenType is not (JsonTokenType.EndObject or JsonTokenType.Null))
                {
                    request.ShapeError ??= "The batch's 'context' must be a JSON object.";
                }
            }
            else if (reader.ValueTextEquals("integrations"u8))
            {
                reader.Read();
                request.BatchIntegrations = ReadObject(ref reader, body, "integrations", null);
                if (reader.TokenType is not (JsonTokenType.EndObject or JsonTokenType.Null))
                {
                    request.ShapeError ??= "The batch's 'integrations' must be a JSON object.";
                }
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        SkipToEnd(ref reader);

        // The batch's sentAt may come after the batch array, so it is handed to the messages once all is read.
        foreach (var message in request.Messages)
        {
            message.BatchSentAt = request.BatchSentAt;
        }

        request.SharedContext = SharedContext.Read(request.BatchContext);
        if (!sawBatch)
        {
            request.ShapeError ??= "The body must have a \"batch\" array of messages.";
        }
        else if (request.ShapeError is null && request.MessageCount == 0)
        {
            request.ShapeError = "\"batch\" is empty: send at least one message.";
        }

        return request;
    }

    private static void ReadBatchItems(ref Utf8JsonReader reader, ReadOnlyMemory<byte> body, ParsedRequest request)
    {
        var index = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (index == ProtocolLimits.MaxBatchMessages)
            {
                request.TooManyMessages = true;
                reader.Skip();
                continue;
            }

            var start = (int)reader.TokenStartIndex;
            var message = new IncomingMessage { Index = index };
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                message.NotAnObject = true;
                request.Messages.Add(message);
                index++;
                continue;
            }

            ReadMessage(ref reader, body, message, takeTypeFromBody: true);
            message.SizeBytes = (int)reader.BytesConsumed - start;
            if (message.SizeBytes > ProtocolLimits.MaxMessageBytes)
            {
                request.OversizedIndexes.Add(index);
            }
            else
            {
                request.Messages.Add(message);
            }

            index++;
        }
    }

    /// <summary>Reads the members of a message object; the reader is on its StartObject and ends on its EndObject.</summary>
    private static void ReadMessage(ref Utf8JsonReader reader, ReadOnlyMemory<byte> body, IncomingMessage m, bool takeTypeFromBody)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("type"u8))
            {
                reader.Read();
                var typeName = ReadString(ref reader, EventFields.Type, m);
                if (takeTypeFromBody)
                {
                    m.TypeName = typeName;
                    m.Type = EventTypeNames.TryParse(typeName, out var type) ? type : null;
                }
            }
            else if (reader.ValueTextEquals("messageId"u8)) { reader.Read(); m.MessageId = ReadIdentifier(ref reader, EventFields.MessageId, m); }
            else if (reader.ValueTextEquals("userId"u8)) { reader.Read(); m.UserId = ReadIdentifier(ref reader, EventFields.UserId, m); }
            else if (reader.ValueTextEquals("anonymousId"u8)) { reader.Read(); m.AnonymousId = ReadIdentifier(ref reader, EventFields.AnonymousId, m); }
            else if (reader.ValueTextEquals("event"u8)) { reader.Read(); m.Event = ReadString(ref reader, EventFields.Event, m); }
            else if (reader.ValueTextEquals("name"u8)) { reader.Read(); m.Name = ReadString(ref reader, EventFields.Name, m); }
            else if (reader.ValueTextEquals("category"u8)) { reader.Read(); m.Category = ReadString(ref reader, EventFields.Category, m); }
            else if (reader.ValueTextEquals("groupId"u8)) { reader.Read(); m.GroupId = ReadIdentifier(ref reader, EventFields.GroupId, m); }
            else if (reader.ValueTextEquals("previousId"u8)) { reader.Read(); m.PreviousId = ReadIdentifier(ref reader, EventFields.PreviousId, m); }
            else if (reader.ValueTextEquals("timestamp"u8)) { reader.Read(); m.Timestamp = ReadTime(ref reader, body, EventFields.Timestamp, m); }
            else if (reader.ValueTextEquals("sentAt"u8)) { reader.Read(); m.SentAt = ReadTime(ref reader, body, EventFields.SentAt, m); }
            else if (reader.ValueTextEquals("originalTimestamp"u8)) { reader.Read(); m.OriginalTimestamp = ReadTime(ref reader, body, EventFields.OriginalTimestamp, m); }
            else if (reader.ValueTextEquals("writeKey"u8)) { reader.Read(); m.WriteKey = ReadString(ref reader, EventFields.WriteKey, m); }
            else if (reader.ValueTextEquals("context"u8)) { reader.Read(); m.Context = ReadContext(ref reader, body, m); }
            else if (reader.ValueTextEquals("properties"u8)) { reader.Read(); m.Properties = ReadObject(ref reader, body, EventFields.Properties, m); }
            else if (reader.ValueTextEquals("traits"u8)) { reader.Read(); m.Traits = ReadObject(ref reader, body, EventFields.Traits, m); }
            else if (reader.ValueTextEquals("integrations"u8)) { reader.Read(); m.Integrations = ReadObject(ref reader, body, EventFields.Integrations, m); }
            else if (reader.ValueTextEquals("receivedAt"u8) || reader.ValueTextEquals("source"u8) || reader.ValueTextEquals("traceparent"u8)
                || reader.ValueTextEquals("violations"u8))
            {
                // The server sets these; a client's value would be a lie about our clock, our routing, our traces or our tracking plans.
                reader.Read();
                reader.Skip();
            }
            else
            {
                var name = reader.GetString()!;
                reader.Read();
                var start = (int)reader.TokenStartIndex;
                reader.Skip();
                (m.OtherFields ??= []).Add(new(name, body[start..(int)reader.BytesConsumed]));
            }
        }
    }

    private static string? ReadString(ref Utf8JsonReader reader, string field, IncomingMessage? m)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.String:
                return reader.GetString();
            case JsonTokenType.Null:
                return null;
            default:
                reader.Skip();
                m?.AddShapeError(field, $"'{field}' must be a string.");
                return null;
        }
    }

    private static ClientTime? ReadTime(ref Utf8JsonReader reader, ReadOnlyMemory<byte> body, string field, IncomingMessage? m)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            return Timestamps.Read(ref reader, body);
        }

        ReadString(ref reader, field, m);
        return null;
    }

    /// <summary>Identifiers may arrive as numbers from some SDKs; Segment accepts them, so we keep their text.</summary>
    private static string? ReadIdentifier(ref Utf8JsonReader reader, string field, IncomingMessage m)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.String:
                return reader.GetString();
            case JsonTokenType.Number:
                return Encoding.UTF8.GetString(reader.ValueSpan);
            case JsonTokenType.Null:
                return null;
            default:
                reader.Skip();
                m.AddShapeError(field, $"'{field}' must be a string.");
                return null;
        }
    }

    /// <summary>Like <see cref="ReadObject"/>, noting on the way whether the client set context.ip or context.userAgent itself.</summary>
    private static ReadOnlyMemory<byte> ReadContext(ref Utf8JsonReader reader, ReadOnlyMemory<byte> body, IncomingMessage m)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            return ReadObject(ref reader, body, EventFields.Context, m);
        }

        var start = (int)reader.TokenStartIndex;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("ip"u8))
            {
                m.ContextHasIp = true;
            }
            else if (reader.ValueTextEquals("userAgent"u8))
            {
                m.ContextHasUserAgent = true;
            }

            reader.Read();
            reader.Skip();
        }

        return body[start..(int)reader.BytesConsumed];
    }

    private static ReadOnlyMemory<byte> ReadObject(ref Utf8JsonReader reader, ReadOnlyMemory<byte> body, string field, IncomingMessage? m)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
                var start = (int)reader.TokenStartIndex;
                reader.Skip();
                return body[start..(int)reader.BytesConsumed];
            case JsonTokenType.Null:
                return default;
            default:
                reader.Skip();
                m?.AddShapeError(field, $"'{field}' must be a JSON object.");
                return default;
        }
    }

    /// <summary>Reads whatever follows so trailing garbage after the top-level value is reported as malformed JSON.</summary>
    private static void SkipToEnd(ref Utf8JsonReader reader)
    {
        if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
        {
            reader.Skip();
        }

        while (reader.Read())
        {
            reader.Skip();
        }
    }
}
