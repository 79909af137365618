using System.Globalization;
using System.Numerics;
using System.Text;
using Amazon.Runtime;
using Tracking.Aws.Errors;
using Tracking.Aws.Kinesis;
using Tracking.Aws.Retries;
using Tracking.Testing;

namespace Tracking.Aws.Tests.Integration;

/// <summary>
/// What the Kinesis client must do against any Kinesis implementation. Each emulator runs these through a
/// subclass whose fixture starts it; the same tests would run against AWS with a real endpoint.
/// </summary>
public abstract class KinesisEmulatorContractTests : IDisposable
{
    /// <summary>2^127: the middle of the 128-bit hash key space, where a single shard is split in two.</summary>
    private static readonly BigInteger MiddleHashKey = BigInteger.Pow(2, 127);
    private static readonly BigInteger MaxHashKey = BigInteger.Pow(2, 128) - 1;
    private static readonly TimeSpan ActiveTimeout = TimeSpan.FromSeconds(30);

    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };

    protected KinesisEmulatorContractTests(Uri serviceUrl, string region)
    {
        var options = new AwsClientSettings
        {
            Region = region,
            ServiceUrl = serviceUrl,
            Retry = new AwsRetryOptions { MaxAttempts = 5, BaseDelay = TimeSpan.FromMilliseconds(50), MaxDelay = TimeSpan.FromSeconds(1) },
        };
        Client = new KinesisClient(_http, options, new BasicAWSCredentials(TestClients.AccessKey, TestClients.SecretKey));
    }

    protected KinesisClient Client { get; }

    [Fact]
    public async Task ACreatedStreamTurnsActiveAndReadsBackFromTrimHorizonWhatWasPut()
    {
        var stream = NewStreamName();
        await Client.CreateStreamAsync(new CreateStreamRequest { StreamName = stream, ShardCount = 2 });
        var summary = await Client.WaitForStreamActiveAsync(stream, ActiveTimeout);
        Assert.Equal(2, summary.OpenShardCount);
        Assert.Equal(stream, summary.StreamName);

        var before = DateTimeOffset.UtcNow.AddMinutes(-1);
        var sent = Enumerable.Range(0, 20).Select(i => (Key: $"user-{i % 5}", Data: $"{{\"n\":{i}}}\n")).ToList();
        var put = await Client.PutRecordsAsync(new PutRecordsRequest
        {
            StreamName = stream,
            Records = [.. sent.Select(s => new PutRecordsRequestEntry { PartitionKey = s.Key, Data = Encoding.UTF8.GetBytes(s.Data) })],
        });
        var after = DateTimeOffset.UtcNow.AddMinutes(1);

        Assert.Equal(0, put.FailedRecordCount);
        Assert.Equal(sent.Count, put.Records.Count);
        Assert.All(put.Records, r =>
        {
            Assert.True(r.Succeeded);
            Assert.False(string.IsNullOrEmpty(r.SequenceNumber));
            Assert.StartsWith("shardId-", r.ShardId, StringComparison.Ordinal);
        });

        var shards = await Client.ListAllShardsAsync(stream, pageSize: 1);
        Assert.Equal(2, shards.Count);

        var read = new List<(string ShardId, KinesisRecord Record)>();
        foreach (var shard in shards)
        {
            read.AddRange((await ReadShardAsync(stream, shard.ShardId, ShardIteratorType.TrimHorizon)).Select(r => (shard.ShardId, r)));
        }

        Assert.Equal(sent.Select(s => s.Data).Order(StringComparer.Ordinal), read.Select(r => Text(r.Record)).Order(StringComparer.Ordinal));
        for (var i = 0; i < sent.Count; i++)
        {
            // Each record is where PutRecords said it went, under the key it was sent with.
            var match = read.Single(r => r.Record.SequenceNumber == put.Records[i].SequenceNumber);
            Assert.Equal(put.Records[i].ShardId, match.ShardId);
            Assert.Equal(sent[i].Key, match.Record.PartitionKey);
            Assert.Equal(sent[i].Data, Text(match.Record));
            Assert.InRange(match.Record.ApproximateArrivalTimestamp!.Value, before, after);
        }
    }

    [Fact]
    public async Task IteratorsStartAtAndAfterSequenceNumbersAtTimestampsAndAtTheLatestRecord()
    {
        var stream = await CreateActiveStreamAsync(shards: 1);
        var shardId = (await Client.ListAllShardsAsync(stream)).Single().ShardId;
        var startedAt = DateTimeOffset.UtcNow.AddMinutes(-1);
        var put = await Client.PutRecordsAsync(new PutRecordsRequest
        {
            StreamName = stream,
            Records = [.. new[] { "r0", "r1", "r2" }.Select(d => new PutRecordsRequestEntry { PartitionKey = "same-user", Data = Encoding.UTF8.GetBytes(d) })],
        });
        var sequence = put.Records.Select(r => r.SequenceNumber!).ToList();

        Assert.Equal(["r1", "r2"], Texts(await ReadShardAsync(stream, shardId, ShardIteratorType.AtSequenceNumber, sequence[1])));
        Assert.Equal(["r2"], Texts(await ReadShardAsync(stream, shardId, ShardIteratorType.AfterSequenceNumber, sequence[1])));
        Assert.Equal(["r0", "r1", "r2"], Texts(await ReadShardAsync(stream, shardId, ShardIteratorType.AtTimestamp, timestamp: startedAt)));

        var latest = await Client.GetShardIteratorAsync(new GetShardIteratorRequest { StreamName = stream, ShardId = shardId, ShardIteratorType = ShardIteratorType.Latest });
        var nothingYet = await Client.GetRecordsAsync(new GetRecordsRequest { ShardIterator = latest.ShardIterator });
        Assert.Empty(nothingYet.Records);
        await Client.PutRecordsAsync(new PutRecordsRequest { StreamName = stream, Records = [new PutRecordsRequestEntry { PartitionKey = "same-user", Data = "r3"u8.ToArray() }] });
        var next = await Client.GetRecordsAsync(new GetRecordsRequest { ShardIterator = nothingYet.NextShardIterator!, Limit = 10 });
        Assert.Equal(["r3"], Texts(next.Records));
    }

    [Fact]
    public async Task GetRecordsReturnsNoMoreThanItsLimit()
    {
        var stream = await CreateActiveStreamAsync(shards: 1);
        var shardId = (await Client.ListAllShardsAsync(stream)).Single().ShardId;
        await Client.PutRecordsAsync(new PutRecordsRequest
        {
            StreamName = stream,
            Records = [.. Enumerable.Range(0, 5).Select(i => new PutRecordsRequestEntry { PartitionKey = "k", Data = Encoding.UTF8.GetBytes($"{i}") })],
        });
        var iterator = await Client.GetShardIteratorAsync(new GetShardIteratorRequest { StreamName = stream, ShardId = shardId, ShardIteratorType = ShardIteratorType.TrimHorizon });

        var first = await Client.GetRecordsAsync(new GetRecordsRequest { ShardIterator = iterator.ShardIterator, Limit = 2 });
        var rest = await Client.GetRecordsAsync(new GetRecordsRequest { ShardIterator = first.NextShardIterator!, Limit = 10 });

        Assert.Equal(["0", "1"], Texts(first.Records));
        Assert.Equal(["2", "3", "4"], Texts(rest.Records));
    }

    [Fact]
    public async Task SplittingThenMergingShardsClosesTheParentsAndOpensTheChildren()
    {
        var stream = await CreateActiveStreamAsync(shards: 1);
        var parent = (await Client.ListAllShardsAsync(stream)).Single();

        await Client.SplitShardAsync(new SplitShardRequest
        {
            StreamName = stream,
            ShardToSplit = parent.ShardId,
            NewStartingHashKey = MiddleHashKey.ToString(CultureInfo.InvariantCulture),
        });
        var afterSplit = await Client.WaitForStreamActiveAsync(stream, ActiveTimeout);

        var shards = await Client.ListAllShardsAsync(stream);
        Assert.Equal(2, afterSplit.OpenShardCount);
        Assert.Equal(3, shards.Count);
        Assert.NotNull(shards.Single(s => s.ShardId == parent.ShardId).SequenceNumberRange.EndingSequenceNumber);
        var children = shards.Where(s => s.ParentShardId == parent.ShardId).OrderBy(s => BigInteger.Parse(s.HashKeyRange.StartingHashKey, CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(2, children.Count);
        Assert.Equal("0", children[0].HashKeyRange.StartingHashKey);
        Assert.Equal((MiddleHashKey - 1).ToString(CultureInfo.InvariantCulture), children[0].HashKeyRange.EndingHashKey);
        Assert.Equal(MiddleHashKey.ToString(CultureInfo.InvariantCulture), children[1].HashKeyRange.StartingHashKey);

        await Client.MergeShardsAsync(new MergeShardsRequest { StreamName = stream, ShardToMerge = children[0].ShardId, AdjacentShardToMerge = children[1].ShardId });
        var afterMerge = await Client.WaitForStreamActiveAsync(stream, ActiveTimeout);

        shards = await Client.ListAllShardsAsync(stream);
        Assert.Equal(1, afterMerge.OpenShardCount);
        Assert.Equal(4, shards.Count);
        var merged = shards.Single(s => s.ParentShardId == children[0].ShardId && s.AdjacentParentShardId == children[1].ShardId);
        Assert.Equal("0", merged.HashKeyRange.StartingHashKey);
        Assert.Equal(MaxHashKey.ToString(CultureInfo.InvariantCulture), merged.HashKeyRange.EndingHashKey);
        Assert.Null(merged.SequenceNumberRange.EndingSequenceNumber);
    }

    [Fact]
    public async Task AStreamDeletedAndCreatedAgainUnderItsNameHasALaterCreationTime()
    {
        var stream = await CreateActiveStreamAsync(shards: 1);
        var first = await Client.WaitForStreamActiveAsync(stream, ActiveTimeout);

        await Client.DeleteStreamAsync(new DeleteStreamRequest { StreamName = stream });
        await Client.WaitForStreamDeletedAsync(stream, ActiveTimeout);
        await Assert.ThrowsAsync<AwsResourceNotFoundException>(
            () => Client.ListShardsAsync(new ListShardsRequest { StreamName = stream }));

        // kinesalite reports creation times in whole seconds, and 2 s early (it dates a stream's shards back by that
        // much): the second stream must be made a later second than that. The emulator's clock is the real one, and a
        // timer may fire a millisecond early, so this waits on the clock itself.
        var laterSecond = first.StreamCreationTimestamp!.Value.AddSeconds(3);
        await Eventually.TrueAsync(() => DateTimeOffset.UtcNow >= laterSecond, $"the real clock passes {laterSecond:O}", TimeSpan.FromSeconds(10));

        await Client.CreateStreamAsync(new CreateStreamRequest { StreamName = stream, ShardCount = 1 });
        var second = await Client.WaitForStreamActiveAsync(stream, ActiveTimeout);

        Assert.True(second.StreamCreationTimestamp > first.StreamCreationTimestamp, $"{second.StreamCreationTimestamp:O} is not after {first.StreamCreationTimestamp:O}");
    }

    [Fact]
    public async Task DescribingAStreamThatDoesNotExistThrowsResourceNotFound()
    {
        var exception = await Assert.ThrowsAsync<AwsResourceNotFoundException>(
            () => Client.DescribeStreamSummaryAsync(new DescribeStreamSummaryRequest { StreamName = NewStreamName() }));

        Assert.Equal("ResourceNotFoundException", exception.ErrorCode);
    }

    [Fact]
    public async Task CreatingAStreamThatExistsThrowsResourceInUse()
    {
        var stream = await CreateActiveStreamAsync(shards: 1);

        await Assert.ThrowsAsync<AwsResourceInUseException>(() => Client.CreateStreamAsync(new CreateStreamRequest { StreamName = stream, ShardCount = 1 }));
    }

    public void Dispose()
    {
        Client.Dispose();
        _http.Dispose();
        GC.SuppressFinalize(this);
    }

    protected async Task<string> CreateActiveStreamAsync(int shards)
    {
        var stream = NewStreamName();
        await Client.CreateStreamAsync(new CreateStreamRequest { StreamName = stream, ShardCount = shards });
        await Client.WaitForStreamActiveAsync(stream, ActiveTimeout);
        return stream;
    }

    private static string NewStreamName() => $"test-{Guid.NewGuid():N}";

    private static string Text(KinesisRecord record) => Encoding.UTF8.GetString(record.Data.Span);

    private static List<string> Texts(IEnumerable<KinesisRecord> records) => [.. records.Select(Text)];

    private async Task<List<KinesisRecord>> ReadShardAsync(
        string stream,
        string shardId,
        ShardIteratorType type,
        string? sequenceNumber = null,
        DateTimeOffset? timestamp = null)
    {
        var iterator = (await Client.GetShardIteratorAsync(new GetShardIteratorRequest
        {
            StreamName = stream,
            ShardId = shardId,
            ShardIteratorType = type,
            StartingSequenceNumber = sequenceNumber,
            Timestamp = timestamp,
        })).ShardIterator;

        // Reads until a call comes back empty, which on an idle emulator shard means caught up.
        var records = new List<KinesisRecord>();
        for (var call = 0; call < 20 && iterator is not null; call++)
        {
            var response = await Client.GetRecordsAsync(new GetRecordsRequest { ShardIterator = iterator });
            if (response.Records.Count == 0)
            {
                break;
            }

            records.AddRange(response.Records);
            iterator = response.NextShardIterator;
        }

        return records;
    }
}
