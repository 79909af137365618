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
    /// The most an enriched event can hold: the API refuses any message whose enriched form (the message, a batch's
    /// shared <c>context</c> merged in, the server's fields) passes <see cref="ProtocolLimits.MaxEnrichedEventBytes"/>.
    /// </summary>
    internal static readonly long LargestEnrichedEvent = ProtocolLimits.MaxEnrichedEventBytes;

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
