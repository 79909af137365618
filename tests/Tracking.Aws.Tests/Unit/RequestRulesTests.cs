using Amazon.Runtime;
using Tracking.Aws.Firehose;
using Tracking.Aws.Kinesis;

namespace Tracking.Aws.Tests.Unit;

/// <summary>Requests that break a documented limit are refused before anything is sent.</summary>
public class RequestRulesTests : IDisposable
{
    // Nothing listens here: a request that got past the checks would fail with a connection error instead.
    private static readonly Uri Nowhere = new("http://127.0.0.1:9/");

    private readonly HttpClient _http = new();
    private readonly KinesisClient _kinesis;
    private readonly FirehoseClient _firehose;

    public RequestRulesTests()
    {
        var credentials = new BasicAWSCredentials("a", "b");
        _kinesis = new KinesisClient(_http, new AwsClientSettings { Region = "us-east-1", ServiceUrl = Nowhere }, credentials);
        _firehose = new FirehoseClient(_http, new AwsClientSettings { Region = "us-east-1", ServiceUrl = Nowhere }, credentials);
    }

    [Fact]
    public async Task PutRecordsWithMoreThan500RecordsIsRefused()
    {
        var request = Records(501, dataBytes: 1);

        var exception = await Assert.ThrowsAsync<ArgumentException>(() => _kinesis.PutRecordsAsync(request));
        Assert.Contains("1 to 500 records", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PutRecordsWithoutRecordsIsRefused()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => _kinesis.PutRecordsAsync(Records(0, dataBytes: 1)));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(257)]
    public async Task PartitionKeysOutside1To256CharactersAreRefused(int length)
    {
        var request = new PutRecordsRequest
        {
            StreamName = "s",
            Records = [new PutRecordsRequestEntry { Data = new byte[1], PartitionKey = new string('k', length) }],
        };

        var exception = await Assert.ThrowsAsync<ArgumentException>(() => _kinesis.PutRecordsAsync(request));
        Assert.Contains("PartitionKey must be 1 to 256 characters", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ARecordOver1MiBCountingItsPartitionKeyIsRefused()
    {
        var request = new PutRecordsRequest
        {
            StreamName = "s",
            Records = [new PutRecordsRequestEntry { Data = new byte[KinesisLimits.MaxRecordBytes], PartitionKey = "k" }],
        };

        var exception = await Assert.ThrowsAsync<ArgumentException>(() => _kinesis.PutRecordsAsync(request));
        Assert.Contains("1 MiB", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PutRecordsOver5MiBIsRefused()
    {
        var request = Records(6, dataBytes: 1_000_000);

        var exception = await Assert.ThrowsAsync<ArgumentException>(() => _kinesis.PutRecordsAsync(request));
        Assert.Contains("5 MiB", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PutRecordsWithoutAStreamIsRefused()
    {
        var request = new PutRecordsRequest { Records = [new PutRecordsRequestEntry { Data = new byte[1], PartitionKey = "k" }] };

        await Assert.ThrowsAsync<ArgumentException>(() => _kinesis.PutRecordsAsync(request));
    }

    [Fact]
    public async Task ListShardsWithANextTokenAndAStreamNameIsRefused()
    {
        var request = new ListShardsRequest { StreamName = "s", NextToken = "t" };

        await Assert.ThrowsAsync<ArgumentException>(() => _kinesis.ListShardsAsync(request));
    }

    [Theory]
    [InlineData(ShardIteratorType.AtSequenceNumber)]
    [InlineData(ShardIteratorType.AfterSequenceNumber)]
    [InlineData(ShardIteratorType.AtTimestamp)]
    public async Task IteratorTypesThatNeedAStartingPointRefuseToGoWithoutOne(ShardIteratorType type)
    {
        var request = new GetShardIteratorRequest { StreamName = "s", ShardId = "shardId-0", ShardIteratorType = type };

        await Assert.ThrowsAsync<ArgumentException>(() => _kinesis.GetShardIteratorAsync(request));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(10_001)]
    public async Task GetRecordsLimitsOutside1To10000AreRefused(int limit)
    {
        await Assert.ThrowsAsync<ArgumentException>(() => _kinesis.GetRecordsAsync(new GetRecordsRequest { ShardIterator = "i", Limit = limit }));
    }

    [Fact]
    public async Task PutRecordBatchWithMoreThan500RecordsIsRefused()
    {
        var request = Batch(501, dataBytes: 1);

        var exception = await Assert.ThrowsAsync<ArgumentException>(() => _firehose.PutRecordBatchAsync(request));
        Assert.Contains("1 to 500 records", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AFirehoseRecordOver1000KiBIsRefused()
    {
        var request = Batch(1, dataBytes: FirehoseLimits.MaxRecordBytes + 1);

        var exception = await Assert.ThrowsAsync<ArgumentException>(() => _firehose.PutRecordBatchAsync(request));
        Assert.Contains("1,000 KiB", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PutRecordBatchOver4MiBIsRefused()
    {
        var request = Batch(5, dataBytes: 1_000_000);

        var exception = await Assert.ThrowsAsync<ArgumentException>(() => _firehose.PutRecordBatchAsync(request));
        Assert.Contains("4 MiB", exception.Message, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        _kinesis.Dispose();
        _firehose.Dispose();
        _http.Dispose();
    }

    private static PutRecordsRequest Records(int count, int dataBytes) => new()
    {
        StreamName = "s",
        Records = [.. Enumerable.Range(0, count).Select(i => new PutRecordsRequestEntry { Data = new byte[dataBytes], PartitionKey = $"k{i}" })],
    };

    private static PutRecordBatchRequest Batch(int count, int dataBytes) => new()
    {
        DeliveryStreamName = "s",
        Records = [.. Enumerable.Range(0, count).Select(_ => new FirehoseRecord { Data = new byte[dataBytes] })],
    };
}
