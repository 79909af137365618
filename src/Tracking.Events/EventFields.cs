namespace Tracking.Events;

/// <summary>
/// Field names of a message on the wire and of an enriched event as the sinks write it
/// (one JSON object per line). The consumer reads enriched events by these names.
/// </summary>
public static class EventFields
{
    public const string Type = "type";
    public const string MessageId = "messageId";
    public const string UserId = "userId";
    public const string AnonymousId = "anonymousId";
    public const string Event = "event";
    public const string Name = "name";
    public const string Category = "category";
    public const string GroupId = "groupId";
    public const string PreviousId = "previousId";
    public const string Properties = "properties";
    public const string Traits = "traits";
    public const string Context = "context";
    public const string Integrations = "integrations";
    public const string Timestamp = "timestamp";
    public const string OriginalTimestamp = "originalTimestamp";
    public const string SentAt = "sentAt";
    public const string WriteKey = "writeKey";
    public const string Batch = "batch";

    /// <summary>Set by the server: how the event breaks its source's tracking plan (an array of <c>{rule, path, message}</c>); absent when it keeps to it.</summary>
    public const string Violations = "violations";

    /// <summary>Set by the server: when the request was read (UTC).</summary>
    public const string ReceivedAt = "receivedAt";

    /// <summary>Set by the server: the source name the write key maps to. The write key itself is never stored.</summary>
    public const string Source = "source";

    /// <summary>
    /// Set by the server while tracing is on: the W3C <c>traceparent</c> of the ingestion request's span, always the
    /// event's last member (see <see cref="EventTrace"/>). Not a warehouse column; a client's value is dropped.
    /// </summary>
    public const string TraceParent = "traceparent";

    /// <summary>Inside <c>context</c>: the client's IP address.</summary>
    public const string ContextIp = "ip";

    /// <summary>Inside <c>context</c>: the client's user agent.</summary>
    public const string ContextUserAgent = "userAgent";
}
