using System.Text;
using System.Text.Json;
using Tracking.Aws.Firehose;
using Tracking.Aws.Kinesis;

namespace Tracking.Aws.Tests.Unit;

/// <summary>The JSON the source-generated contexts read and write, against the shapes in the API references.</summary>
public class WireFormatTests
{
    [Fact]
    public void PutRecordsIsWrittenWithBase64DataAndWithoutNullMembers()
    {
        var request = new PutRecordsRequest
        {
            StreamName = "events",
            Records = [new PutRecordsRequestEntry { Data = "hello"u8.ToArray(), PartitionKey = "user-1" }],
        };

        var json = JsonSerializer.Serialize(request, KinesisJsonContext.Default.PutRecordsRequest);

        Assert.Equal("""{"StreamName":"events","Records":[{"Data":"aGVsbG8=","PartitionKey":"user-1"}]}""", json);
    }

    [Fact]
    public void StreamArnIsSpelledAsAwsSpellsIt()
    {
        var json = JsonSerializer.Serialize(new DescribeStreamSummaryRequest { StreamArn = "arn:aws:kinesis:us-east-1:1:stream/s" }, KinesisJsonContext.Default.DescribeStreamSummaryRequest);

        Assert.Equal("""{"StreamARN":"arn:aws:kinesis:us-east-1:1:stream/s"}""", json);
    }

    [Theory]
    [InlineData(ShardIteratorType.TrimHorizon, "TRIM_HORIZON")]
    [InlineData(ShardIteratorType.Latest, "LATEST")]
    [InlineData(ShardIteratorType.AtTimestamp, "AT_TIMESTAMP")]
    [InlineData(ShardIteratorType.AtSequenceNumber, "AT_SEQUENCE_NUMBER")]
    [InlineData(ShardIteratorType.AfterSequenceNumber, "AFTER_SEQUENCE_NUMBER")]
    public void ShardIteratorTypesAreWrittenAsTheirApiNames(ShardIteratorType type, string expected)
    {
        var json = JsonSerializer.Serialize(new GetShardIteratorRequest { StreamName = "s", ShardId = "shardId-0", ShardIteratorType = type }, KinesisJsonContext.Default.GetShardIteratorRequest);

        Assert.Contains($"\"ShardIteratorType\":\"{expected}\"", json, StringComparison.Ordinal);
    }

    [Fact]
    public void TimestampsAreWrittenAsEpochSecondsWithMilliseconds()
    {
        var request = new GetShardIteratorRequest
        {
            StreamName = "s",
            ShardId = "shardId-0",
            ShardIteratorType = ShardIteratorType.AtTimestamp,
            Timestamp = DateTimeOffset.FromUnixTimeMilliseconds(1_440_938_160_250),
        };

        var json = JsonSerializer.Serialize(request, KinesisJsonContext.Default.GetShardIteratorRequest);

        Assert.Contains("\"Timestamp\":1440938160.25", json, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1440938160", 1_440_938_160_000)]
    [InlineData("1440938160.123", 1_440_938_160_123)]
    [InlineData("1.440938160123E9", 1_440_938_160_123)]
    [InlineData("\"2015-08-30T12:36:00.123Z\"", 1_440_938_160_123)]
    [InlineData("\"1440938160.5\"", 1_440_938_160_500)]
    public void ArrivalTimestampsAreReadFromEpochSecondsOrIsoText(string timestamp, long expectedMilliseconds)
    {
        var json = $$"""{"Records":[{"SequenceNumber":"1","ApproximateArrivalTimestamp":{{timestamp}},"Data":"eA==","PartitionKey":"k"}]}""";

        var response = JsonSerializer.Deserialize(json, KinesisJsonContext.Default.GetRecordsResponse)!;

        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(expectedMilliseconds), response.Records[0].ApproximateArrivalTimestamp);
    }

    [Fact]
    public void GetRecordsResponsesCarryDataChildShardsAndLag()
    {
        const string json = """
            {"Records":[{"SequenceNumber":"4959","ApproximateArrivalTimestamp":1.7E9,"Data":"eyJhIjoxfQo=","PartitionKey":"u1","EncryptionType":"NONE"}],
             "NextShardIterator":"AAAA","MillisBehindLatest":1200,
             "ChildShards":[{"ShardId":"shardId-000000000002","ParentShards":["shardId-000000000000"],"HashKeyRange":{"StartingHashKey":"0","EndingHashKey":"9"}}],
             "SomethingAddedLater":true}
            """;

        var response = JsonSerializer.Deserialize(json, KinesisJsonContext.Default.GetRecordsResponse)!;

        var record = Assert.Single(response.Records);
        Assert.Equal("{\"a\":1}\n", Encoding.UTF8.GetString(record.Data.Span));
        Assert.Equal("u1", record.PartitionKey);
        Assert.Equal(1200, response.MillisBehindLatest);
        Assert.Equal("AAAA", response.NextShardIterator);
        var child = Assert.Single(response.ChildShards!);
        Assert.Equal(["shardId-000000000000"], child.ParentShards);
    }

    [Fact]
    public void PutRecordBatchIsWrittenAsFirehoseExpects()
    {
        var request = new PutRecordBatchRequest
        {
            DeliveryStreamName = "events",
            Records = [new FirehoseRecord { Data = "{}\n"u8.ToArray() }],
        };

        var json = JsonSerializer.Serialize(request, FirehoseJsonContext.Default.PutRecordBatchRequest);

        Assert.Equal("""{"DeliveryStreamName":"events","Records":[{"Data":"e30K"}]}""", json);
    }
}
