using Tracking.Aws.Kinesis;
using Tracking.Consumer.Loading;
using Tracking.Consumer.Warehouse;

namespace Tracking.Consumer.Redrive;

/// <summary>A dead letter read exactly as the shard loop reads a record of its shard (<see cref="ShardBuffer"/>: a
/// KPL aggregate expanded, each user record parsed by <see cref="EventRecords"/>), so a fixed consumer gives it the
/// same rows and <c>message_id</c>s it would give the record read from the stream.</summary>
internal static class DeadLetterReading
{
    public static (IReadOnlyList<EventRow> Rows, IReadOnlyList<DeadLetter> DeadLetters) Read(string stream, string shardId, string sequenceNumber, byte[] payload)
    {
        var buffer = new ShardBuffer(stream, shardId);
        buffer.Add([new KinesisRecord { SequenceNumber = sequenceNumber, Data = payload, PartitionKey = string.Empty }]);
        return buffer.Take();
    }
}
