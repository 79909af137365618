namespace Tracking.Events;

/// <summary>Size limits of the Segment HTTP Tracking API, which SDKs already respect.</summary>
public static class ProtocolLimits
{
    /// <summary>A single message may be at most 32 KB of JSON.</summary>
    public const int MaxMessageBytes = 32 * 1024;

    /// <summary>A batch request may be at most 500 KB of JSON, measured after decompression.</summary>
    public const int MaxBatchBytes = 500 * 1024;

    /// <summary>Identifiers (<c>messageId</c>, <c>userId</c>, <c>anonymousId</c>, <c>groupId</c>, <c>previousId</c>) are at most
    /// 256 characters, the Kinesis partition key limit, so any of them can key a record.</summary>
    public const int MaxIdentifierLength = 256;

    /// <summary>Names (<c>event</c>, <c>name</c>, <c>category</c>) are at most 1,024 characters.</summary>
    public const int MaxNameLength = 1024;
}
