namespace Tracking.Api.Ingestion;

/// <summary>A time as the client sent it: its JSON string token (kept verbatim in originalTimestamp and sentAt) and its value, null when the text is no date.</summary>
internal readonly record struct ClientTime(ReadOnlyMemory<byte> Json, DateTimeOffset? Value)
{
    /// <summary>The text of the string, unescaped.</summary>
    public string Text
    {
        get
        {
            var reader = new System.Text.Json.Utf8JsonReader(Json.Span);
            reader.Read();
            return reader.GetString()!;
        }
    }
}
