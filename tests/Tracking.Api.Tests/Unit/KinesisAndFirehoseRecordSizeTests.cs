using Microsoft.AspNetCore.Server.Kestrel.Core;
using Tracking.Aws.Firehose;
using Tracking.Aws.Kinesis;
using Tracking.Events;

namespace Tracking.Api.Tests.Unit;

/// <summary>
/// Why the sinks have no "record too large" path: the API refuses oversized input with 413 before anything is
/// queued, and what it accepts cannot grow into a record the streams refuse.
/// </summary>
public class KinesisAndFirehoseRecordSizeTests
{
    /// <summary>
    /// The most an enriched event can hold. Everything copied from the request comes from a body of at most
    /// <see cref="ProtocolLimits.MaxBatchBytes"/> (the message itself is at most 32 KB, but a batch's shared
    /// <c>context</c> and <c>integrations</c> are merged into every message, so the whole body is the bound), and
    /// each part is copied at most once, byte for byte or re-escaped no longer than it arrived. The server adds the
    /// User-Agent header (inside Kestrel's header limit, each byte escaped to at most 6), an IP, four timestamps, a
    /// generated messageId, field names and the source name (an operator's setting, allowed 1 KiB here).
    /// </summary>
    internal static readonly long LargestEnrichedEvent =
        ProtocolLimits.MaxBatchBytes
        + 6L * new KestrelServerLimits().MaxRequestHeadersTotalSize
        + 4 * 1024;

    [Fact]
    public void TheLargestEventTheApiCanAcceptFitsAKinesisRecordWithItsPartitionKey()
    {
        var largestKey = 4 * ProtocolLimits.MaxIdentifierLength;

        Assert.True(LargestEnrichedEvent + largestKey < KinesisLimits.MaxRecordBytes * 0.75, $"{LargestEnrichedEvent + largestKey} bytes against {KinesisLimits.MaxRecordBytes}");
        Assert.Equal(KinesisLimits.MaxPartitionKeyLength, ProtocolLimits.MaxIdentifierLength);
    }

    [Fact]
    public void TheLargestEventTheApiCanAcceptFitsAFirehoseRecordWithItsNewline()
    {
        Assert.True(LargestEnrichedEvent + 1 < FirehoseLimits.MaxRecordBytes * 0.75, $"{LargestEnrichedEvent + 1} bytes against {FirehoseLimits.MaxRecordBytes}");
    }
}
