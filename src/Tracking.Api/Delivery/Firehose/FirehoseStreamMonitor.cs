using Microsoft.Extensions.Options;
using Tracking.Aws.Firehose;

namespace Tracking.Api.Delivery.Firehose;

/// <summary>
/// Checks the Firehose stream (DescribeDeliveryStream) from the start, then every
/// <see cref="FirehoseSinkOptions.RefreshInterval"/>, in the loop both sinks share (<see cref="StreamMonitor"/>): a
/// missing or non-<c>ACTIVE</c> stream, one that is not <c>DirectPut</c>, refused credentials or an unreachable
/// endpoint turn <c>/health/ready</c> unhealthy with the reason.
/// </summary>
internal sealed class FirehoseStreamMonitor(
    IFirehoseClient client,
    DeliveryHealth status,
    IOptions<FirehoseSinkOptions> options,
    IOptions<BatchingOptions> batching,
    TimeProvider time,
    ILogger<FirehoseStreamMonitor> logger) : StreamMonitor(status, batching, time, logger)
{
    private const string Permission = "firehose:DescribeDeliveryStream";

    private readonly FirehoseSinkOptions _options = options.Value;

    protected override string SinkName => "Firehose";

    protected override string StreamName => _options.DeliveryStreamName!;

    protected override async Task<string?> CheckAsync(CancellationToken cancellationToken)
    {
        var description = (await client.DescribeDeliveryStreamAsync(new DescribeDeliveryStreamRequest { DeliveryStreamName = StreamName, Limit = 1 }, cancellationToken))
            .DeliveryStreamDescription;
        if (description.DeliveryStreamStatus != DeliveryStreamStatus.Active)
        {
            var failure = description.FailureDescription is { } f ? $" ({f.Type}: {f.Details})" : string.Empty;
            return $"Firehose stream '{StreamName}' is {description.DeliveryStreamStatus}, not ACTIVE{failure}";
        }

        // PutRecordBatch is refused on streams fed from a Kinesis stream, MSK or a database.
        if (description.DeliveryStreamType is { } type && type != "DirectPut")
        {
            return $"Firehose stream '{StreamName}' is of type {type}; PutRecordBatch needs a DirectPut stream";
        }

        return null;
    }

    protected override string Describe(Exception exception) =>
        AwsSinkSettings.Describe(exception, $"Firehose stream '{StreamName}'", client.Endpoint, Permission);

    protected override Task WaitForNextCheckAsync(CancellationToken cancellationToken) => Task.Delay(_options.RefreshInterval, Time, cancellationToken);
}
