using Tracking.Events;

namespace Tracking.Api.Ingestion;

/// <summary>
/// One message as the client sent it. Scalar fields are read into strings so they can be
/// validated; object fields and unknown fields stay as slices of the request body so the
/// enricher copies them to the output without parsing them twice.
/// </summary>
internal sealed class IncomingMessage
{
    /// <summary>Position in the batch (0 for single-message endpoints).</summary>
    public int Index { get; init; }

    /// <summary>Size of the message's JSON in bytes.</summary>
    public int SizeBytes { get; set; }

    /// <summary>The type named by the route or, in a batch, by the message's <c>type</c> field.</summary>
    public EventType? Type { get; set; }

    /// <summary>The <c>type</c> field exactly as sent, for error messages.</summary>
    public string? TypeName { get; set; }

    public string? MessageId { get; set; }
    public string? UserId { get; set; }
    public string? AnonymousId { get; set; }
    public string? Event { get; set; }
    public string? Name { get; set; }
    public string? Category { get; set; }
    public string? GroupId { get; set; }
    public string? PreviousId { get; set; }
    public ClientTime? Timestamp { get; set; }
    public ClientTime? SentAt { get; set; }
    public ClientTime? OriginalTimestamp { get; set; }

    /// <summary>The batch's sentAt, which applies when the message has none of its own.</summary>
    public ClientTime? BatchSentAt { get; set; }

    /// <summary>The client's clock when the event happened: <c>timestamp</c>, else <c>originalTimestamp</c>.</summary>
    public ClientTime? ClientTimestamp => Timestamp ?? OriginalTimestamp;

    /// <summary>The client's clock when the message was sent: its own <c>sentAt</c>, else the batch's.</summary>
    public ClientTime? EffectiveSentAt => SentAt ?? BatchSentAt;
    public string? WriteKey { get; set; }

    public ReadOnlyMemory<byte> Context { get; set; }

    /// <summary>The client's context names an <c>ip</c> of its own.</summary>
    public bool ContextHasIp { get; set; }

    /// <summary>The client's context names a <c>userAgent</c> of its own.</summary>
    public bool ContextHasUserAgent { get; set; }
    public ReadOnlyMemory<byte> Properties { get; set; }
    public ReadOnlyMemory<byte> Traits { get; set; }
    public ReadOnlyMemory<byte> Integrations { get; set; }

    /// <summary>Fields the protocol does not name (<c>channel</c>, <c>version</c>, ...), kept verbatim.</summary>
    public List<KeyValuePair<string, ReadOnlyMemory<byte>>>? OtherFields { get; set; }

    /// <summary>Fields whose JSON kind is wrong (a number where an object belongs, ...), found while reading.</summary>
    public List<KeyValuePair<string, string>>? ShapeErrors { get; set; }

    /// <summary>A batch item that is not a JSON object at all.</summary>
    public bool NotAnObject { get; set; }

    public void AddShapeError(string field, string message) =>
        (ShapeErrors ??= []).Add(new(field, message));
}
