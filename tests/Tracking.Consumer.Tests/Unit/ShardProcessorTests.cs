using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Tracking.Aws.Errors;
using Tracking.Aws.Kinesis;
using Tracking.Aws.Kinesis.Aggregation;
using Tracking.Consumer.Leases;
using Tracking.Consumer.Loading;
using Tracking.Consumer.Shards;
using Tracking.Consumer.Tests.Support;

namespace Tracking.Consumer.Tests.Unit;

/// <summary>The read loop's pacing against a scripted stream, on a fake clock.</summary>
public sealed class ShardProcessorTests
{
    private static readonly ShardFence Fence = new("events", "shardId-000000000000", "worker-a", 1);
    private static readonly Lease Lease = new(Fence.ShardId, [], StartPositions.TrimHorizon, "worker-a", 1, null, null, false);
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 30, 6, 0, 0, TimeSpan.Zero));

    [Fact]
    public async Task EmptyReadsAtTheTipOfTheShardWaitTheIdleDelayBetweenCalls()
    {
        var stream = new ScriptedShard(_ => new GetRecordsResponse { NextShardIterator = "next", MillisBehindLatest = 0 });
        await using var run = Start(stream, new RecordingLoader());

        await stream.WaitForCallsAsync(1);
        var waited = await AdvanceUntilCallAsync(stream, 2);

        Assert.InRange(waited, ShardProcessor.IdleDelay, ShardProcessor.IdleDelay + TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public async Task ReadsBehindTheTipAreSpacedByAFifthOfASecondThePerShardQuota()
    {
        var stream = new ScriptedShard(n => new GetRecordsResponse { Records = [Record(n)], NextShardIterator = "next", MillisBehindLatest = 5_000 });
        await using var run = Start(stream, new RecordingLoader());

        await stream.WaitForCallsAsync(1);
        var waited = await AdvanceUntilCallAsync(stream, 2);

        Assert.InRange(waited, ShardProcessor.MinReadInterval, ShardProcessor.MinReadInterval + TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public async Task AThrottledReadBacksOffAndIsRetriedWithTheSameIterator()
    {
        var stream = new ScriptedShard(n => n == 2
            ? throw new AwsThrottlingException("Rate exceeded for shard", System.Net.HttpStatusCode.BadRequest, "ProvisionedThroughputExceededException", null)
            : new GetRecordsResponse { Records = [Record(n)], NextShardIterator = $"after-{n}", MillisBehindLatest = 5_000 });
        await using var run = Start(stream, new RecordingLoader());

        await stream.WaitForCallsAsync(1);
        await AdvanceUntilCallAsync(stream, 2);
        var waited = await AdvanceUntilCallAsync(stream, 3);

        Assert.True(waited > ShardProcessor.MinReadInterval, $"retried after {waited}");
        Assert.Equal("after-1", stream.Iterators[1]);
        Assert.Equal("after-1", stream.Iterators[2]);
    }

    [Fact]
    public async Task AnIteratorThatCouldNotBeFetchedForANetworkErrorIsFetchedAgainByTheReadLoopWithoutGivingTheShardUp()
    {
        var stream = new ScriptedShard(n => new GetRecordsResponse { Records = [Record(n)], NextShardIterator = $"after-{n}", MillisBehindLatest = 5_000 })
        {
            IteratorFailures = 1,
        };
        await using var run = Start(stream, new RecordingLoader());

        var waited = await AdvanceUntilCallAsync(stream, 1);

        Assert.Equal(2, stream.IteratorRequests.Count);
        Assert.InRange(waited, ShardProcessor.ReadRetries.Ceiling(1) / 2, ShardProcessor.ReadRetries.Ceiling(1) + TimeSpan.FromMilliseconds(100));
        Assert.Equal("first", stream.Iterators[0]);
        Assert.False(run.Task.IsCompleted);
    }

    [Fact]
    public async Task ReadingPausesWhileTheLoaderIsBehind()
    {
        var stream = new ScriptedShard(n => new GetRecordsResponse { Records = [Record(n)], NextShardIterator = "next", MillisBehindLatest = 5_000 });
        var loader = new RecordingLoader { Blocked = true };
        await using var run = Start(stream, loader);

        await loader.WaitForAttemptAsync();
        for (var i = 0; i < 100; i++)
        {
            _clock.Advance(TimeSpan.FromMilliseconds(100));
            await Task.Yield();
        }

        // One batch in the loader, one read in the channel, one waiting to be written: no more while it is stuck.
        Assert.InRange(stream.Calls, 1, 3);
        loader.Release();
        await AdvanceUntilCallAsync(stream, stream.Calls + 2);
    }

    [Fact]
    public async Task AShardTheLoaderWillNotBeginIsLeftUnreadAsLost()
    {
        var stream = new ScriptedShard(n => new GetRecordsResponse { Records = [Record(n)], NextShardIterator = "next", MillisBehindLatest = 0 });
        var loader = new RecordingLoader { Begin = _ => null };
        var run = Start(stream, loader);

        Assert.Equal(ShardOutcome.LeaseLost, await run.Task.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(0, stream.Calls);
        await run.DisposeAsync();
    }

    [Fact]
    public async Task ReadingStartsAfterTheCheckpointTheLoaderBeganWith()
    {
        var stream = new ScriptedShard(n => new GetRecordsResponse { NextShardIterator = "next", MillisBehindLatest = 0 });
        var loader = new RecordingLoader { Begin = listed => listed with { SequenceNumber = "4242" } };
        await using var run = Start(stream, loader);

        await stream.WaitForCallsAsync(1);

        Assert.Equal((ShardIteratorType.AfterSequenceNumber, "4242"), Assert.Single(stream.IteratorRequests) is var r ? (r.ShardIteratorType, r.StartingSequenceNumber) : default);
    }

    [Fact]
    public async Task ABatchEndsBeforeTheRecordWhoseUserRecordsWouldTakeItPastMaxRows()
    {
        // One answer of four records holding nine rows: two KPL aggregates between plain records; then the shard ends.
        var stream = new ScriptedShard(n => n == 1
            ? new GetRecordsResponse { Records = [Record(1), Aggregated(2, users: 4), Aggregated(3, users: 3), Record(4)], NextShardIterator = null, MillisBehindLatest = 0 }
            : throw new InvalidOperationException("read past the shard's end"));
        var loader = new RecordingLoader();
        var run = Start(stream, loader, maxRows: 5);

        Assert.Equal(ShardOutcome.Finished, await run.Task.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal([(5, "2", false), (4, "4", true)], loader.Batches.Select(b => (b.Rows.Count, b.LastSequenceNumber, b.ShardFinished)));
        await run.DisposeAsync();
    }

    private ProcessorRun Start(ScriptedShard stream, RecordingLoader loader, int maxRows = 1)
    {
        var processor = new ShardProcessor(
            stream,
            loader,
            Options.Create(new StreamOptions { StreamName = Fence.Stream }),
            Options.Create(new BatchingOptions { MaxRows = maxRows }),
            TestMetrics.Create(),
            new Health.ShardHealth(Options.Create(new Health.ShardHealthOptions()), _clock),
            _clock,
            NullLogger<ShardProcessor>.Instance);
        var stop = new CancellationTokenSource();
        return new ProcessorRun(processor.RunAsync(Fence, Lease, stop.Token), stop, loader);
    }

    /// <summary>Moves the fake clock in small steps until the stream has seen <paramref name="calls"/> calls; returns how far it moved.</summary>
    private async Task<TimeSpan> AdvanceUntilCallAsync(ScriptedShard stream, int calls)
    {
        var step = TimeSpan.FromMilliseconds(10);
        var advanced = TimeSpan.Zero;
        while (!await stream.WaitForCallsAsync(calls, TimeSpan.FromMilliseconds(20)))
        {
            Assert.True(advanced < TimeSpan.FromSeconds(30), $"no call {calls} after {advanced} of fake time");
            _clock.Advance(step);
            advanced += step;
        }

        return advanced;
    }

    private static KinesisRecord Record(int n) => new()
    {
        SequenceNumber = n.ToString(System.Globalization.CultureInfo.InvariantCulture),
        PartitionKey = "k",
        Data = Encoding.UTF8.GetBytes(new TestEvent($"m-{n}", "u", n).ToString()),
    };

    private static KinesisRecord Aggregated(int n, int users)
    {
        var aggregate = new AggregatedRecordBuilder();
        foreach (var e in TestEvent.Many(users, perUser: 1, prefix: $"a{n}"))
        {
            aggregate.Add(e.UserId, e.ToJson());
        }

        return new KinesisRecord { SequenceNumber = n.ToString(System.Globalization.CultureInfo.InvariantCulture), PartitionKey = "k", Data = aggregate.Build() };
    }

    private sealed class ProcessorRun(Task<ShardOutcome> task, CancellationTokenSource stop, RecordingLoader loader) : IAsyncDisposable
    {
        public Task<ShardOutcome> Task => task;

        public async ValueTask DisposeAsync()
        {
            loader.Release();
            await stop.CancelAsync();
            await task.WaitAsync(TimeSpan.FromSeconds(30));
            stop.Dispose();
        }
    }

    /// <summary>A shard whose GetRecords answers are scripted by call number (1-based).</summary>
    private sealed class ScriptedShard(Func<int, GetRecordsResponse> answer) : IKinesisClient
    {
        public Uri Endpoint { get; } = new("http://127.0.0.1:1/");

        private readonly Lock _gate = new();
        private readonly List<TaskCompletionSource> _waiters = [];
        private int _calls;

        public int Calls => Volatile.Read(ref _calls);

        public List<string> Iterators { get; } = [];

        public async Task<bool> WaitForCallsAsync(int count, TimeSpan? timeout = null)
        {
            TaskCompletionSource waiter;
            lock (_gate)
            {
                if (_calls >= count)
                {
                    return true;
                }

                waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _waiters.Add(waiter);
            }

            try
            {
                await waiter.Task.WaitAsync(timeout ?? TimeSpan.FromSeconds(30));
            }
            catch (TimeoutException) when (timeout is not null)
            {
                // Checked below.
            }

            return Calls >= count;
        }

        public Task<GetRecordsResponse> GetRecordsAsync(GetRecordsRequest request, CancellationToken cancellationToken = default)
        {
            int n;
            lock (_gate)
            {
                n = ++_calls;
                Iterators.Add(request.ShardIterator);
                foreach (var waiter in _waiters)
                {
                    waiter.TrySetResult();
                }

                _waiters.Clear();
            }

            return Task.FromResult(answer(n));
        }

        public List<GetShardIteratorRequest> IteratorRequests { get; } = [];

        /// <summary>How many GetShardIterator calls fail first, as a refused connection does.</summary>
        public int IteratorFailures { get; init; }

        public Task<GetShardIteratorResponse> GetShardIteratorAsync(GetShardIteratorRequest request, CancellationToken cancellationToken = default)
        {
            lock (_gate)
            {
                IteratorRequests.Add(request);
                if (IteratorRequests.Count <= IteratorFailures)
                {
                    throw new HttpRequestException("Connection refused (127.0.0.1:1)");
                }
            }

            return Task.FromResult(new GetShardIteratorResponse { ShardIterator = "first" });
        }

        public Task<PutRecordsResponse> PutRecordsAsync(PutRecordsRequest request, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<ListShardsResponse> ListShardsAsync(ListShardsRequest request, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<DescribeStreamSummaryResponse> DescribeStreamSummaryAsync(DescribeStreamSummaryRequest request, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task CreateStreamAsync(CreateStreamRequest request, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task DeleteStreamAsync(DeleteStreamRequest request, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task SplitShardAsync(SplitShardRequest request, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task MergeShardsAsync(MergeShardsRequest request, CancellationToken cancellationToken = default) => throw new NotSupportedException();
    }

    private sealed class RecordingLoader : IWarehouseLoader
    {
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _attempted = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool Blocked { get; init; }

        public System.Collections.Concurrent.ConcurrentQueue<LoadBatch> Batches { get; } = new();

        public Func<ShardCheckpoint, ShardCheckpoint?> Begin { get; init; } = listed => listed;

        public Task<ShardCheckpoint?> BeginAsync(ShardFence fence, ShardCheckpoint listed, CancellationToken cancellationToken) => Task.FromResult(Begin(listed));

        public void Release() => _released.TrySetResult();

        public Task WaitForAttemptAsync() => _attempted.Task.WaitAsync(TimeSpan.FromSeconds(30));

        public async Task<LoadResult> LoadAsync(LoadBatch batch, CancellationToken cancellationToken)
        {
            _attempted.TrySetResult();
            Batches.Enqueue(batch);
            if (Blocked)
            {
                await _released.Task;
            }

            return new LoadResult(LoadOutcome.Committed, batch.Rows.Count, 0);
        }
    }
}
