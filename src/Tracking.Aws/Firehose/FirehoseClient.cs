using Amazon.Runtime;
using Tracking.Aws.Protocol;

namespace Tracking.Aws.Firehose;

/// <summary>
/// An Amazon Data Firehose client over the JSON 1.1 protocol (<c>X-Amz-Target: Firehose_20150804.*</c>), signed
/// with AWSSDK.Core's SigV4 signer. Thread-safe; create one and reuse it.
/// </summary>
public sealed class FirehoseClient : IFirehoseClient, IDisposable
{
    private static readonly AwsServiceDescription Service = new("firehose", "firehose", "Firehose_20150804");

    /// <summary>The name validation messages give the settings, e.g. <c>Firehose:Retry:MaxAttempts</c>.</summary>
    private const string SettingsName = "Firehose";

    private readonly AwsJsonTransport _transport;

    /// <summary>Creates a client.</summary>
    /// <param name="httpClient">Sends the requests; not disposed by the client. Its <see cref="HttpClient.Timeout"/> bounds each attempt.</param>
    /// <param name="settings">Region, endpoint override and retry policy; validated here, and read only here.</param>
    /// <param name="credentials">Credentials to sign with; <see langword="null"/> uses AWSSDK.Core's default chain.</param>
    /// <param name="timeProvider">Clock for signing and back-off delays; <see langword="null"/> for the system clock.</param>
    /// <exception cref="ArgumentException">The settings break a rule; the message lists every one.</exception>
    /// <exception cref="InvalidOperationException">No region is configured.</exception>
    public FirehoseClient(HttpClient httpClient, AwsClientSettings settings, AWSCredentials? credentials = null, TimeProvider? timeProvider = null)
    {
        _transport = new AwsJsonTransport(httpClient, settings, SettingsName, Service, credentials, timeProvider);
    }

    /// <summary>The region requests are signed for.</summary>
    public string Region => _transport.Region;

    /// <summary>The URL requests are sent to.</summary>
    public Uri Endpoint => _transport.Endpoint;

    /// <inheritdoc/>
    public Task<PutRecordBatchResponse> PutRecordBatchAsync(PutRecordBatchRequest request, CancellationToken cancellationToken = default)
    {
        Check(request);
        return _transport.SendAsync("PutRecordBatch", request, FirehoseJsonContext.Default.PutRecordBatchRequest, FirehoseJsonContext.Default.PutRecordBatchResponse, cancellationToken);
    }

    /// <inheritdoc/>
    public Task<DescribeDeliveryStreamResponse> DescribeDeliveryStreamAsync(DescribeDeliveryStreamRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrEmpty(request.DeliveryStreamName, nameof(request));
        return _transport.SendAsync("DescribeDeliveryStream", request, FirehoseJsonContext.Default.DescribeDeliveryStreamRequest, FirehoseJsonContext.Default.DescribeDeliveryStreamResponse, cancellationToken);
    }

    /// <summary>Releases the default credential chain's file watchers; the <see cref="HttpClient"/> is the caller's.</summary>
    public void Dispose() => _transport.Dispose();

    // Checked before sending so a caller's bug names the limit instead of costing a round trip.
    private static void Check(PutRecordBatchRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (string.IsNullOrEmpty(request.DeliveryStreamName))
        {
            throw new ArgumentException("PutRecordBatch needs a DeliveryStreamName.", nameof(request));
        }

        if (request.Records is null || request.Records.Count is 0 or > FirehoseLimits.MaxRecordsPerPutRecordBatch)
        {
            throw new ArgumentException($"PutRecordBatch takes 1 to {FirehoseLimits.MaxRecordsPerPutRecordBatch} records (got {request.Records?.Count ?? 0}).", nameof(request));
        }

        long total = 0;
        for (var i = 0; i < request.Records.Count; i++)
        {
            var size = request.Records[i]?.Data.Length ?? throw new ArgumentException($"Records[{i}] is null.", nameof(request));
            if (size > FirehoseLimits.MaxRecordBytes)
            {
                throw new ArgumentException($"Records[{i}] is {size} bytes; Firehose accepts at most {FirehoseLimits.MaxRecordBytes} (1,000 KiB).", nameof(request));
            }

            total += size;
        }

        if (total > FirehoseLimits.MaxPutRecordBatchRequestBytes)
        {
            throw new ArgumentException($"The records total {total} bytes; PutRecordBatch accepts at most {FirehoseLimits.MaxPutRecordBatchRequestBytes} (4 MiB).", nameof(request));
        }
    }
}
