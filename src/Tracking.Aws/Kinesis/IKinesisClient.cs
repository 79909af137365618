namespace Tracking.Aws.Kinesis;

/// <summary>
/// The Kinesis Data Streams operations the pipeline uses. Shaped like the official <c>IAmazonKinesis</c> (same
/// operation names and request/response members) so an adapter over AWSSDK.Kinesis can replace
/// <see cref="KinesisClient"/> the day that package is available.
/// </summary>
/// <remarks>
/// Implementations retry throttling, 5xx and transient network errors, then throw a subclass of
/// <see cref="Errors.AwsServiceException"/>; when the last attempt got no response at all, the
/// <see cref="HttpRequestException"/> (or, for <see cref="HttpClient.Timeout"/>, the <see cref="TaskCanceledException"/>)
/// is thrown as it is. Requests that break a documented limit throw <see cref="ArgumentException"/> before anything is sent.
/// </remarks>
public interface IKinesisClient
{
    /// <summary>The endpoint requests go to (AWS's regional one, or the configured <c>ServiceUrl</c>): what an error
    /// message names when it cannot be reached.</summary>
    Uri Endpoint { get; }

    /// <summary>Writes up to 500 records. Per-record failures are in the response, not thrown: resend only those.</summary>
    Task<PutRecordsResponse> PutRecordsAsync(PutRecordsRequest request, CancellationToken cancellationToken = default);

    /// <summary>Lists one page of a stream's shards.</summary>
    Task<ListShardsResponse> ListShardsAsync(ListShardsRequest request, CancellationToken cancellationToken = default);

    /// <summary>Reads a stream's status, open shard count and settings.</summary>
    Task<DescribeStreamSummaryResponse> DescribeStreamSummaryAsync(DescribeStreamSummaryRequest request, CancellationToken cancellationToken = default);

    /// <summary>Gets an iterator to start reading a shard from.</summary>
    Task<GetShardIteratorResponse> GetShardIteratorAsync(GetShardIteratorRequest request, CancellationToken cancellationToken = default);

    /// <summary>Reads records from a shard iterator.</summary>
    Task<GetRecordsResponse> GetRecordsAsync(GetRecordsRequest request, CancellationToken cancellationToken = default);

    /// <summary>Creates a stream; it is <c>CREATING</c> until it turns <c>ACTIVE</c>.</summary>
    Task CreateStreamAsync(CreateStreamRequest request, CancellationToken cancellationToken = default);

    /// <summary>Deletes a stream and its records; it is <c>DELETING</c> until it is gone.</summary>
    Task DeleteStreamAsync(DeleteStreamRequest request, CancellationToken cancellationToken = default);

    /// <summary>Splits an open shard into two.</summary>
    Task SplitShardAsync(SplitShardRequest request, CancellationToken cancellationToken = default);

    /// <summary>Merges two adjacent open shards into one.</summary>
    Task MergeShardsAsync(MergeShardsRequest request, CancellationToken cancellationToken = default);
}
