namespace Tracking.Events;

/// <summary>Size limits of the Segment HTTP Tracking API, which SDKs already respect.</summary>
public static class ProtocolLimits
{
    /// <summary>A single message may be at most 32 KB of JSON.</summary>
    public const int MaxMessageBytes = 32 * 1024;

    /// <summary>A batch request may be at most 500 KB of JSON, measured after decompression.</summary>
    public const int MaxBatchBytes = 500 * 1024;

    /// <summary>A batch may hold at most 5,000 messages. Real messages are hundreds of bytes, so SDKs reach the
    /// 500 KB limit long before this; it stops a body of empty objects from costing a validation each.</summary>
    public const int MaxBatchMessages = 5_000;

    /// <summary>An enriched event (the message, the batch's shared context merged in, the server's fields) may be at
    /// most 64 KB: twice the message limit, so a batch context cannot multiply one request into megabytes per event.</summary>
    public const int MaxEnrichedEventBytes = 64 * 1024;

    /// <summary>The enriched events of one request may add up to at most 2 MB (four times the batch limit).</summary>
    public const int MaxEnrichedRequestBytes = 4 * MaxBatchBytes;

    /// <summary>A message's <c>timestamp</c> and <c>sentAt</c> may be at most this far apart for skew correction.</summary>
    public static readonly TimeSpan MaxClockSkew = TimeSpan.FromDays(365 * 100);

    /// <summary>Identifiers (<c>messageId</c>, <c>userId</c>, <c>anonymousId</c>, <c>groupId</c>, <c>previousId</c>) are at most
    /// 256 characters, the Kinesis partition key limit, so any of them can key a record.</summary>
    public const int MaxIdentifierLength = 256;

    /// <summary>Names (<c>event</c>, <c>name</c>, <c>category</c>) are at most 1,024 characters.</summary>
    public const int MaxNameLength = 1024;
}
