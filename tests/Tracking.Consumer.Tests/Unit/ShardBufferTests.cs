using System.Text;
using Tracking.Aws.Kinesis;
using Tracking.Aws.Kinesis.Aggregation;
using Tracking.Consumer.Leases;
using Tracking.Consumer.Loading;

namespace Tracking.Consumer.Tests.Unit;

/// <summary>What the shard buffer makes of the Kinesis Producer Library's aggregated records.</summary>
public sealed class ShardBufferTests
{
    private static readonly ShardFence Fence = new("events", "shardId-000000000000", "worker", 1);

    [Fact]
    public void AnAggregatedRecordBecomesOneRowPerUserRecordInOrder()
    {
        var buffer = new ShardBuffer("events", Fence.ShardId);
        buffer.Add([Plain("10", """{"messageId":"p1"}"""), Aggregated("20", """{"messageId":"a1"}""", """{"messageId":"a2"}""", """{"messageId":"a3"}"""), Plain("30", """{"messageId":"p2"}""")]);

        var batch = buffer.TakeBatch(Fence, finished: false);

        Assert.Equal(["p1", "a1", "a2", "a3", "p2"], batch.Rows.Select(r => r.MessageId));
        Assert.Equal(["10", "20:0", "20:1", "20:2", "30"], batch.Rows.Select(r => r.SequenceNumber));
        Assert.Empty(batch.DeadLetters);
        Assert.Equal("30", batch.LastSequenceNumber);
    }

    [Fact]
    public void UserRecordsWithoutMessageIdGetDistinctIdsFromTheSequenceAndSubsequenceNumbersTheSameOnEveryReplay()
    {
        var record = Aggregated("49590", """{"event":"a"}""", """{"event":"a"}""");
        var first = new ShardBuffer("events", Fence.ShardId);
        var replay = new ShardBuffer("events", Fence.ShardId);
        first.Add([record]);
        replay.Add([record]);

        var ids = first.TakeBatch(Fence, false).Rows.Select(r => r.MessageId).ToList();

        Assert.Equal(["kinesis:events:shardId-000000000000:49590:0", "kinesis:events:shardId-000000000000:49590:1"], ids);
        Assert.Equal(ids, replay.TakeBatch(Fence, false).Rows.Select(r => r.MessageId));
    }

    [Fact]
    public void AnAggregatedRecordWithABrokenMd5IsOneDeadLetterHoldingTheWholeRecord()
    {
        var record = Aggregated("20", """{"messageId":"a1"}""", """{"messageId":"a2"}""");
        var data = record.Data.ToArray();
        data[^1] ^= 0x01;
        var buffer = new ShardBuffer("events", Fence.ShardId);
        buffer.Add([new KinesisRecord { SequenceNumber = "20", PartitionKey = "k", Data = data }]);

        var batch = buffer.TakeBatch(Fence, false);

        Assert.Empty(batch.Rows);
        var letter = Assert.Single(batch.DeadLetters);
        Assert.Equal("20", letter.SequenceNumber);
        Assert.Contains("MD5", letter.Reason, StringComparison.Ordinal);
        Assert.Equal(data, letter.Payload.ToArray());
        Assert.Equal("20", batch.LastSequenceNumber);
    }

    [Fact]
    public void AnAggregatedRecordWithABrokenProtobufIsOneDeadLetterHoldingTheWholeRecord()
    {
        // A record pointing at a partition key the table does not have, with a correct MD5.
        byte[] body = [0x1A, 0x04, 0x08, 0x05, 0x1A, 0x00];
        byte[] data = [.. AggregatedRecords.Magic, .. body, .. Md5(body)];
        var buffer = new ShardBuffer("events", Fence.ShardId);
        buffer.Add([new KinesisRecord { SequenceNumber = "20", PartitionKey = "k", Data = data }]);

        var letter = Assert.Single(buffer.TakeBatch(Fence, false).DeadLetters);

        Assert.Contains("protobuf", letter.Reason, StringComparison.Ordinal);
        Assert.Equal(data, letter.Payload.ToArray());
    }

    [Fact]
    public void ABadUserRecordInAnAggregateIsADeadLetterOfItsOwnWhileTheOthersLoad()
    {
        var buffer = new ShardBuffer("events", Fence.ShardId);
        buffer.Add([Aggregated("20", """{"messageId":"a1"}""", "not json", """{"messageId":"a3"}""")]);

        var batch = buffer.TakeBatch(Fence, false);

        Assert.Equal(["a1", "a3"], batch.Rows.Select(r => r.MessageId));
        var letter = Assert.Single(batch.DeadLetters);
        Assert.Equal("20:1", letter.SequenceNumber);
        Assert.Equal("not json"u8.ToArray(), letter.Payload.ToArray());
    }

    private static KinesisRecord Plain(string sequenceNumber, string json) =>
        new() { SequenceNumber = sequenceNumber, PartitionKey = "k", Data = Encoding.UTF8.GetBytes(json) };

    private static KinesisRecord Aggregated(string sequenceNumber, params string[] users)
    {
        var builder = new AggregatedRecordBuilder();
        foreach (var user in users)
        {
            builder.Add("k", Encoding.UTF8.GetBytes(user));
        }

        return new KinesisRecord { SequenceNumber = sequenceNumber, PartitionKey = "k", Data = builder.Build() };
    }

#pragma warning disable CA5351 // The KPL format's checksum is MD5.
    private static byte[] Md5(byte[] data) => System.Security.Cryptography.MD5.HashData(data);
#pragma warning restore CA5351
}
