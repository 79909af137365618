using System.Collections.Concurrent;
using Tracking.Aws.Kinesis;

namespace Tracking.Api.Tests.Support;

/// <summary>
/// An <see cref="IKinesisClient"/> whose PutRecords answers come from the test; it records every put and how many
/// were in flight at once, and lists the shards the test sets.
/// </summary>
internal sealed class FakeKinesis : IKinesisClient
{
    public Uri Endpoint { get; } = new("http://127.0.0.1:1/");

    private int _calls;
    private int _inFlight;
    private int _mostInFlight;

    public Func<PutRecordsRequest, int, Task<PutRecordsResponse>> Put { get; set; } = (request, _) => Task.FromResult(Answer(request));

    public ConcurrentQueue<PutRecordsRequest> Calls { get; } = new();

    public List<Shard> Shards { get; set; } = [];

    public int InFlight => Volatile.Read(ref _inFlight);

    public int MostInFlight => Volatile.Read(ref _mostInFlight);

    public static PutRecordsResponse Answer(PutRecordsRequest request, Func<int, string?>? errorAt = null, string shardId = "shardId-000000000000")
    {
        var records = request.Records.Select((_, i) => errorAt?.Invoke(i) is { } error
            ? new PutRecordsResultEntry { ErrorCode = error, ErrorMessage = $"Rate exceeded for shard {shardId} in stream events under account 111122223333." }
            : new PutRecordsResultEntry { SequenceNumber = $"{i}", ShardId = shardId }).ToList();
        return new PutRecordsResponse { FailedRecordCount = records.Count(r => !r.Succeeded), Records = records };
    }

    public async Task<PutRecordsResponse> PutRecordsAsync(PutRecordsRequest request, CancellationToken cancellationToken = default)
    {
        var call = Interlocked.Increment(ref _calls) - 1;
        Calls.Enqueue(request);
        var now = Interlocked.Increment(ref _inFlight);
        int most;
        while ((most = Volatile.Read(ref _mostInFlight)) < now && Interlocked.CompareExchange(ref _mostInFlight, now, most) != most)
        {
        }

        try
        {
            return await Put(request, call);
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    public Task<ListShardsResponse> ListShardsAsync(ListShardsRequest request, CancellationToken cancellationToken = default) =>
        Task.FromResult(new ListShardsResponse { Shards = Shards });

    public Task<DescribeStreamSummaryResponse> DescribeStreamSummaryAsync(DescribeStreamSummaryRequest request, CancellationToken cancellationToken = default) =>
        Task.FromResult(new DescribeStreamSummaryResponse
        {
            StreamDescriptionSummary = new StreamDescriptionSummary { StreamName = "events", StreamStatus = StreamStatus.Active, OpenShardCount = Shards.Count },
        });

    public Task<GetShardIteratorResponse> GetShardIteratorAsync(GetShardIteratorRequest request, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task<GetRecordsResponse> GetRecordsAsync(GetRecordsRequest request, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task CreateStreamAsync(CreateStreamRequest request, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task DeleteStreamAsync(DeleteStreamRequest request, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task SplitShardAsync(SplitShardRequest request, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task MergeShardsAsync(MergeShardsRequest request, CancellationToken cancellationToken = default) => throw new NotSupportedException();
}
