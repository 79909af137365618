using Amazon.Runtime;
using Tracking.Aws.Protocol;

namespace Tracking.Aws.Kinesis;

/// <summary>
/// A Kinesis Data Streams client over the JSON 1.1 protocol (<c>X-Amz-Target: Kinesis_20131202.*</c>), signed
/// with AWSSDK.Core's SigV4 signer. Thread-safe; create one per stream configuration and reuse it.
/// </summary>
public sealed class KinesisClient : IKinesisClient, IDisposable
{
    private static readonly AwsServiceDescription Service = new("kinesis", "kinesis", "Kinesis_20131202");

    /// <summary>The name validation messages give the settings, e.g. <c>Kinesis:Retry:MaxAttempts</c>.</summary>
    private const string SettingsName = "Kinesis";

    private readonly AwsJsonTransport _transport;

    /// <summary>Creates a client.</summary>
    /// <param name="httpClient">Sends the requests; not disposed by the client. Its <see cref="HttpClient.Timeout"/> bounds each attempt.</param>
    /// <param name="settings">Region, endpoint override and retry policy; validated here, and read only here.</param>
    /// <param name="credentials">Credentials to sign with; <see langword="null"/> uses AWSSDK.Core's default chain
    /// (<c>AWS_ACCESS_KEY_ID</c>/<c>AWS_SECRET_ACCESS_KEY</c>/<c>AWS_SESSION_TOKEN</c>, profiles, web identity, container and instance roles).</param>
    /// <param name="timeProvider">Clock for signing and back-off delays; <see langword="null"/> for the system clock.</param>
    /// <exception cref="ArgumentException">The settings break a rule; the message lists every one.</exception>
    /// <exception cref="InvalidOperationException">No region is configured.</exception>
    public KinesisClient(HttpClient httpClient, AwsClientSettings settings, AWSCredentials? credentials = null, TimeProvider? timeProvider = null)
    {
        _transport = new AwsJsonTransport(httpClient, settings, SettingsName, Service, credentials, timeProvider);
    }

    /// <summary>The region requests are signed for.</summary>
    public string Region => _transport.Region;

    /// <summary>The URL requests are sent to.</summary>
    public Uri Endpoint => _transport.Endpoint;

    /// <inheritdoc/>
    public Task<PutRecordsResponse> PutRecordsAsync(PutRecordsRequest request, CancellationToken cancellationToken = default)
    {
        KinesisRequestRules.Check(request);
        return _transport.SendAsync("PutRecords", request, KinesisJsonContext.Default.PutRecordsRequest, KinesisJsonContext.Default.PutRecordsResponse, cancellationToken);
    }

    /// <inheritdoc/>
    public Task<ListShardsResponse> ListShardsAsync(ListShardsRequest request, CancellationToken cancellationToken = default)
    {
        KinesisRequestRules.Check(request);
        return _transport.SendAsync("ListShards", request, KinesisJsonContext.Default.ListShardsRequest, KinesisJsonContext.Default.ListShardsResponse, cancellationToken);
    }

    /// <inheritdoc/>
    public Task<DescribeStreamSummaryResponse> DescribeStreamSummaryAsync(DescribeStreamSummaryRequest request, CancellationToken cancellationToken = default)
    {
        KinesisRequestRules.Check(request);
        return _transport.SendAsync("DescribeStreamSummary", request, KinesisJsonContext.Default.DescribeStreamSummaryRequest, KinesisJsonContext.Default.DescribeStreamSummaryResponse, cancellationToken);
    }

    /// <inheritdoc/>
    public Task<GetShardIteratorResponse> GetShardIteratorAsync(GetShardIteratorRequest request, CancellationToken cancellationToken = default)
    {
        KinesisRequestRules.Check(request);
        return _transport.SendAsync("GetShardIterator", request, KinesisJsonContext.Default.GetShardIteratorRequest, KinesisJsonContext.Default.GetShardIteratorResponse, cancellationToken);
    }

    /// <inheritdoc/>
    public Task<GetRecordsResponse> GetRecordsAsync(GetRecordsRequest request, CancellationToken cancellationToken = default)
    {
        KinesisRequestRules.Check(request);
        return _transport.SendAsync("GetRecords", request, KinesisJsonContext.Default.GetRecordsRequest, KinesisJsonContext.Default.GetRecordsResponse, cancellationToken);
    }

    /// <inheritdoc/>
    public Task CreateStreamAsync(CreateStreamRequest request, CancellationToken cancellationToken = default)
    {
        KinesisRequestRules.Check(request);
        return _transport.SendAsync("CreateStream", request, KinesisJsonContext.Default.CreateStreamRequest, cancellationToken);
    }

    /// <inheritdoc/>
    public Task DeleteStreamAsync(DeleteStreamRequest request, CancellationToken cancellationToken = default)
    {
        KinesisRequestRules.Check(request);
        return _transport.SendAsync("DeleteStream", request, KinesisJsonContext.Default.DeleteStreamRequest, cancellationToken);
    }

    /// <inheritdoc/>
    public Task SplitShardAsync(SplitShardRequest request, CancellationToken cancellationToken = default)
    {
        KinesisRequestRules.Check(request);
        return _transport.SendAsync("SplitShard", request, KinesisJsonContext.Default.SplitShardRequest, cancellationToken);
    }

    /// <inheritdoc/>
    public Task MergeShardsAsync(MergeShardsRequest request, CancellationToken cancellationToken = default)
    {
        KinesisRequestRules.Check(request);
        return _transport.SendAsync("MergeShards", request, KinesisJsonContext.Default.MergeShardsRequest, cancellationToken);
    }

    /// <summary>Releases the default credential chain's file watchers; the <see cref="HttpClient"/> is the caller's.</summary>
    public void Dispose() => _transport.Dispose();
}
