using Tracking.Aws.Kinesis;

namespace Tracking.Replay.Tests;

/// <summary>
/// A stand-in for the stream that records each PutRecords (when, by the fake clock, and what) and answers per record as
/// <see cref="Refuse"/> says: the per-record failures a real stream gives under throttling, which no emulator makes on demand.
/// </summary>
internal sealed class ScriptedKinesis(TimeProvider time) : IKinesisClient
{
    public Uri Endpoint { get; } = new("http://127.0.0.1:1/");

    public List<(DateTimeOffset At, IReadOnlyList<PutRecordsRequestEntry> Records)> Puts { get; } = [];

    /// <summary>Whether to refuse a record on a given attempt of the replay (1 for the first put of it).</summary>
    public Func<string, int, bool> Refuse { get; set; } = (_, _) => false;

    private readonly Dictionary<string, int> _attempts = new(StringComparer.Ordinal);

    public Task<PutRecordsResponse> PutRecordsAsync(PutRecordsRequest request, CancellationToken cancellationToken = default)
    {
        Puts.Add((time.GetUtcNow(), request.Records));
        var results = request.Records.Select(r =>
        {
            var id = System.Text.Json.JsonDocument.Parse(r.Data).RootElement.GetProperty("messageId").GetString()!;
            var attempt = _attempts[id] = _attempts.GetValueOrDefault(id) + 1;
            return Refuse(id, attempt)
                ? new PutRecordsResultEntry { ErrorCode = "ProvisionedThroughputExceededException", ErrorMessage = "Rate exceeded for shard" }
                : new PutRecordsResultEntry { SequenceNumber = "1", ShardId = "shardId-000000000000" };
        }).ToList();
        return Task.FromResult(new PutRecordsResponse { Records = results, FailedRecordCount = results.Count(r => !r.Succeeded) });
    }

    public Task<ListShardsResponse> ListShardsAsync(ListShardsRequest request, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task<DescribeStreamSummaryResponse> DescribeStreamSummaryAsync(DescribeStreamSummaryRequest request, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task<GetShardIteratorResponse> GetShardIteratorAsync(GetShardIteratorRequest request, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task<GetRecordsResponse> GetRecordsAsync(GetRecordsRequest request, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task CreateStreamAsync(CreateStreamRequest request, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task DeleteStreamAsync(DeleteStreamRequest request, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task SplitShardAsync(SplitShardRequest request, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task MergeShardsAsync(MergeShardsRequest request, CancellationToken cancellationToken = default) => throw new NotSupportedException();
}
