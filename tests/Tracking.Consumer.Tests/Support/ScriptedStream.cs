using Tracking.Aws.Kinesis;

namespace Tracking.Consumer.Tests.Support;

/// <summary>A stream of open, empty shards whose <c>ListShards</c> can be made to hang, and whose reads can be made to fail.</summary>
internal sealed class ScriptedStream(params string[] shardIds) : IKinesisClient
{
    public Uri Endpoint { get; } = new("http://127.0.0.1:1/");

    private readonly Lock _gate = new();
    private TaskCompletionSource? _listingGate;
    private int _listings;
    private int _reads;

    /// <summary>ListShards calls so far, including one that hangs.</summary>
    public int Listings => Volatile.Read(ref _listings);

    /// <summary>GetRecords calls so far.</summary>
    public int Reads => Volatile.Read(ref _reads);

    /// <summary>When set, every GetRecords call throws what it returns.</summary>
    public Func<Exception>? ReadFailure { get; set; }

    /// <summary>From now on ListShards hangs until <see cref="ReleaseListing"/>.</summary>
    public void HangListing()
    {
        lock (_gate)
        {
            _listingGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    public void ReleaseListing()
    {
        lock (_gate)
        {
            _listingGate?.TrySetResult();
            _listingGate = null;
        }
    }

    public async Task<ListShardsResponse> ListShardsAsync(ListShardsRequest request, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _listings);
        Task? wait;
        lock (_gate)
        {
            wait = _listingGate?.Task;
        }

        if (wait is not null)
        {
            await wait.WaitAsync(cancellationToken);
        }

        return new ListShardsResponse
        {
            Shards = shardIds.Select(id => new Shard
            {
                ShardId = id,
                HashKeyRange = new HashKeyRange { StartingHashKey = "0", EndingHashKey = "1" },
                SequenceNumberRange = new SequenceNumberRange { StartingSequenceNumber = "1" },
            }).ToList(),
        };
    }

    public Task<GetShardIteratorResponse> GetShardIteratorAsync(GetShardIteratorRequest request, CancellationToken cancellationToken = default) =>
        Task.FromResult(new GetShardIteratorResponse { ShardIterator = "first" });

    public Task<GetRecordsResponse> GetRecordsAsync(GetRecordsRequest request, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _reads);
        if (ReadFailure is { } failure)
        {
            throw failure();
        }

        return Task.FromResult(new GetRecordsResponse { NextShardIterator = "next", MillisBehindLatest = 0 });
    }

    public Task<PutRecordsResponse> PutRecordsAsync(PutRecordsRequest request, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    /// <summary>One stream, made once: the same creation time on every call.</summary>
    public Task<DescribeStreamSummaryResponse> DescribeStreamSummaryAsync(DescribeStreamSummaryRequest request, CancellationToken cancellationToken = default) =>
        Task.FromResult(new DescribeStreamSummaryResponse
        {
            StreamDescriptionSummary = new StreamDescriptionSummary
            {
                StreamName = request.StreamName ?? "scripted",
                StreamStatus = StreamStatus.Active,
                StreamCreationTimestamp = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero),
                OpenShardCount = shardIds.Length,
            },
        });

    public Task CreateStreamAsync(CreateStreamRequest request, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task DeleteStreamAsync(DeleteStreamRequest request, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task SplitShardAsync(SplitShardRequest request, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task MergeShardsAsync(MergeShardsRequest request, CancellationToken cancellationToken = default) => throw new NotSupportedException();
}
