using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using Tracking.Aws.Errors;
using Tracking.Aws.Kinesis;
using Tracking.Consumer.Leases;
using Tracking.Consumer.Loading;
using Tracking.Consumer.Shards;
using Tracking.Consumer.Tests.Support;
using Tracking.Consumer.Warehouse;
using Tracking.Testing.Emulators;
using Tracking.Testing.Postgres;

namespace Tracking.Consumer.Tests.Integration;

/// <summary>An iterator that expires mid-shard (they live 5 minutes): the shard goes on from the last record read.</summary>
[Collection(Infrastructure.Name)]
public sealed class ExpiredIteratorTests(PostgresServer postgres, KinesaliteFixture kinesalite)
{
    [Fact]
    public async Task AnExpiredIteratorIsReplacedByOneAfterTheLastRecordReadAndNothingIsLostOrRepeated()
    {
        using var stream = await TestStreamOnKinesalite.CreateAsync(kinesalite.ServiceUrl, shards: 1);
        var connectionString = await postgres.CreateDatabaseAsync("expired");
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await new PostgresSchema(dataSource, NullLogger<PostgresSchema>.Instance).MigrateAsync(CancellationToken.None);
        var events = TestEvent.Many(5, 6).ToList();
        await stream.PutEventsAsync(events);
        var shardId = stream.LastSequenceNumbers.Keys.Single();
        var leases = new PostgresLeaseStore(dataSource);
        await leases.AddShardsAsync(stream.Name, [new NewShard(shardId, [], StartPositions.TrimHorizon)], CancellationToken.None);
        var lease = (await leases.ListAsync(stream.Name, CancellationToken.None)).Single();
        var fence = (await leases.TryTakeAsync(stream.Name, shardId, lease.Counter, "worker-a", DateTimeOffset.UtcNow.AddMinutes(5), CancellationToken.None))!.Value;
        var expiring = new ExpiresSecondIterator(stream.Client);
        var processor = new ShardProcessor(
            expiring,
            new PostgresLoader(dataSource, TestMetrics.Create(), TimeProvider.System, NullLogger<PostgresLoader>.Instance),
            Options.Create(new StreamOptions { StreamName = stream.Name }),
            Options.Create(new BatchingOptions { MaxRows = 10, Linger = TimeSpan.FromMilliseconds(50) }),
            TestMetrics.Create(),
            new Health.ShardHealth(Options.Create(new Health.ShardHealthOptions()), TimeProvider.System),
            TimeProvider.System,
            NullLogger<ShardProcessor>.Instance);
        var warehouse = new WarehouseDb(connectionString);
        using var stop = new CancellationTokenSource();

        var running = processor.RunAsync(fence, lease, stop.Token);
        await warehouse.WaitForCheckpointsAsync(stream.LastSequenceNumbers, TimeSpan.FromSeconds(60));
        await stop.CancelAsync();
        await running;

        Assert.Equal(events.Select(e => e.MessageId).ToHashSet(), await warehouse.MessageIdsAsync());
        Assert.True(expiring.Expired);
        var renewal = Assert.Single(expiring.Requests, r => r.ShardIteratorType == ShardIteratorType.AfterSequenceNumber);
        Assert.Equal(expiring.LastSequenceBeforeExpiry, renewal.StartingSequenceNumber);
    }

    /// <summary>kinesalite, except that the second GetRecords answers ExpiredIteratorException as the service does after 5 minutes.</summary>
    private sealed class ExpiresSecondIterator(IKinesisClient inner) : IKinesisClient
    {
        public Uri Endpoint => inner.Endpoint;

        private int _reads;

        public List<GetShardIteratorRequest> Requests { get; } = [];

        public bool Expired { get; private set; }

        public string? LastSequenceBeforeExpiry { get; private set; }

        public async Task<GetRecordsResponse> GetRecordsAsync(GetRecordsRequest request, CancellationToken cancellationToken = default)
        {
            if (Interlocked.Increment(ref _reads) == 2)
            {
                Expired = true;
                throw new AwsExpiredIteratorException("Iterator expired. The iterator was created at time ... while right now it is ...");
            }

            var response = await inner.GetRecordsAsync(request, cancellationToken);
            if (!Expired && response.Records.Count > 0)
            {
                LastSequenceBeforeExpiry = response.Records[^1].SequenceNumber;
            }

            return response;
        }

        public Task<GetShardIteratorResponse> GetShardIteratorAsync(GetShardIteratorRequest request, CancellationToken cancellationToken = default)
        {
            Requests.Add(request);
            return inner.GetShardIteratorAsync(request, cancellationToken);
        }

        public Task<PutRecordsResponse> PutRecordsAsync(PutRecordsRequest request, CancellationToken cancellationToken = default) => inner.PutRecordsAsync(request, cancellationToken);

        public Task<ListShardsResponse> ListShardsAsync(ListShardsRequest request, CancellationToken cancellationToken = default) => inner.ListShardsAsync(request, cancellationToken);

        public Task<DescribeStreamSummaryResponse> DescribeStreamSummaryAsync(DescribeStreamSummaryRequest request, CancellationToken cancellationToken = default) => inner.DescribeStreamSummaryAsync(request, cancellationToken);

        public Task CreateStreamAsync(CreateStreamRequest request, CancellationToken cancellationToken = default) => inner.CreateStreamAsync(request, cancellationToken);

        public Task DeleteStreamAsync(DeleteStreamRequest request, CancellationToken cancellationToken = default) => inner.DeleteStreamAsync(request, cancellationToken);

        public Task SplitShardAsync(SplitShardRequest request, CancellationToken cancellationToken = default) => inner.SplitShardAsync(request, cancellationToken);

        public Task MergeShardsAsync(MergeShardsRequest request, CancellationToken cancellationToken = default) => inner.MergeShardsAsync(request, cancellationToken);
    }
}
