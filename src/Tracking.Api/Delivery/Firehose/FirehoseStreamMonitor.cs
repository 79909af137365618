using Microsoft.Extensions.Options;
using Tracking.Aws.Firehose;

namespace Tracking.Api.Delivery.Firehose;

/// <summary>
/// Checks the Firehose stream from the start (DescribeDeliveryStream), then every
/// <see cref="FirehoseSinkOptions.RefreshInterval"/>: a missing or non-<c>ACTIVE</c> stream, one that is not
/// <c>DirectPut</c>, refused credentials or an unreachable endpoint turn <c>/health/ready</c> unhealthy with the
/// reason through <see cref="SinkStatus"/>, without stopping the API; the check is retried with backoff and a
/// success clears what it reported.
/// </summary>
internal sealed partial class FirehoseStreamMonitor(
    IFirehoseClient client,
    SinkStatus status,
    IOptions<FirehoseSinkOptions> options,
    IOptions<BatchingOptions> batching,
    TimeProvider time,
    ILogger<FirehoseStreamMonitor> logger) : BackgroundService
{
    private const string Permission = "firehose:DescribeDeliveryStream";

    private readonly FirehoseSinkOptions _options = options.Value;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var name = _options.DeliveryStreamName!;
        var failures = 0;
        string? reported = null;
        while (!stoppingToken.IsCancellationRequested)
        {
            TimeSpan next;
            try
            {
                var description = (await client.DescribeDeliveryStreamAsync(new DescribeDeliveryStreamRequest { DeliveryStreamName = name, Limit = 1 }, stoppingToken))
                    .DeliveryStreamDescription;
                var problem = Problem(name, description);
                if (problem is null)
                {
                    if (reported is not null)
                    {
                        status.Succeeded(SinkStatus.Stream);
                        LogStreamUsable(logger, name, failures);
                    }

                    failures = 0;
                    reported = null;
                    next = _options.RefreshInterval;
                }
                else
                {
                    failures++;
                    reported = Report(name, problem, problem, null, reported);
                    next = Backoff(failures);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                failures++;
                var endpoint = client.Endpoint;
                reported = Report(name, AwsSinkSettings.Describe(ex, $"Firehose stream '{name}'", endpoint, Permission), AwsSinkSettings.Kind(ex), ex, reported);
                next = Backoff(failures);
            }

            try
            {
                await Task.Delay(next, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private static string? Problem(string name, DeliveryStreamDescription description)
    {
        if (description.DeliveryStreamStatus != DeliveryStreamStatus.Active)
        {
            var failure = description.FailureDescription is { } f ? $" ({f.Type}: {f.Details})" : string.Empty;
            return $"Firehose stream '{name}' is {description.DeliveryStreamStatus}, not ACTIVE{failure}";
        }

        // PutRecordBatch is refused on streams fed from a Kinesis stream, MSK or a database.
        if (description.DeliveryStreamType is { } type && type != "DirectPut")
        {
            return $"Firehose stream '{name}' is of type {type}; PutRecordBatch needs a DirectPut stream";
        }

        return null;
    }

    /// <summary>Reports to readiness every time, logs when the kind of failure changes; returns the kind.</summary>
    private string Report(string name, string reason, string kind, Exception? exception, string? reported)
    {
        status.Failed(SinkStatus.Stream, $"Firehose sink: {reason}", time.GetUtcNow());
        if (kind != reported)
        {
            LogStreamNotUsable(logger, exception, name, reason);
        }

        return kind;
    }

    private TimeSpan Backoff(int failures) => batching.Value.RetryDelay(failures);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Firehose stream {Stream} cannot take events: {Reason}. Accepted events wait in the queue; checking again with backoff")]
    private static partial void LogStreamNotUsable(ILogger logger, Exception? exception, string stream, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Firehose stream {Stream} is usable again after {Failures} failed checks")]
    private static partial void LogStreamUsable(ILogger logger, string stream, int failures);
}
