namespace Tracking.Aws.Firehose;

/// <summary>
/// The Amazon Data Firehose operations the pipeline uses. Shaped like the official <c>IAmazonKinesisFirehose</c>
/// so an adapter over AWSSDK.KinesisFirehose can replace <see cref="FirehoseClient"/> when that package is available.
/// </summary>
/// <remarks>
/// Implementations retry throttling, 5xx and transient network errors, then throw a subclass of
/// <see cref="Errors.AwsServiceException"/>; when the last attempt got no response at all, the
/// <see cref="HttpRequestException"/> (or, for <see cref="HttpClient.Timeout"/>, the <see cref="TaskCanceledException"/>)
/// is thrown as it is. Requests that break a documented limit throw <see cref="ArgumentException"/> before anything is sent.
/// </remarks>
public interface IFirehoseClient
{
    /// <summary>The endpoint requests go to (AWS's regional one, or the configured <c>ServiceUrl</c>): what an error
    /// message names when it cannot be reached.</summary>
    Uri Endpoint { get; }

    /// <summary>Writes up to 500 records. Per-record failures are in the response, not thrown: resend only those.</summary>
    Task<PutRecordBatchResponse> PutRecordBatchAsync(PutRecordBatchRequest request, CancellationToken cancellationToken = default);

    /// <summary>Reads a Firehose stream's status and type.</summary>
    Task<DescribeDeliveryStreamResponse> DescribeDeliveryStreamAsync(DescribeDeliveryStreamRequest request, CancellationToken cancellationToken = default);
}
