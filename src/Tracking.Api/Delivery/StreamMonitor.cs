using Microsoft.Extensions.Options;
using Tracking.Aws.Retries;

namespace Tracking.Api.Delivery;

/// <summary>
/// The loop both AWS sinks use to watch their stream: check it from the start, then again after each wait; a stream
/// that cannot take events (missing, not active, refused credentials, an unreachable endpoint) turns
/// <c>/health/ready</c> unhealthy with the reason through the same <see cref="DeliveryHealth"/> the deliveries report to,
/// while the API keeps running and accepting. A failing check is retried with the batcher's backoff
/// (<see cref="BatchingOptions.Retries"/>) and logged when the kind of failure changes, not on every retry of a long
/// outage; a success clears what was reported. Each sink says only how to check its stream and how long to wait.
/// </summary>
internal abstract partial class StreamMonitor(DeliveryHealth status, IOptions<BatchingOptions> batching, TimeProvider time, ILogger logger) : BackgroundService
{
    /// <summary>The sink's name in messages: <c>Kinesis</c>, <c>Firehose</c>.</summary>
    protected abstract string SinkName { get; }

    private readonly RetryPolicy _retries = batching.Value.Retries();

    /// <summary>The stream watched.</summary>
    protected abstract string StreamName { get; }

    protected TimeProvider Time => time;

    /// <summary>Reads the stream: null when it can take events, else why not. A failed call throws.</summary>
    protected abstract Task<string?> CheckAsync(CancellationToken cancellationToken);

    /// <summary>Why a failed check failed, in words an operator can act on (endpoint, permission, stream).</summary>
    protected abstract string Describe(Exception exception);

    /// <summary>Waits until the next check after one that found the stream usable.</summary>
    protected abstract Task WaitForNextCheckAsync(CancellationToken cancellationToken);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var failures = 0;
        string? reported = null;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                string? problem;
                string? kind;
                Exception? error = null;
                try
                {
                    problem = kind = await CheckAsync(stoppingToken);
                }
                catch (Exception ex) when (!(ex is OperationCanceledException && stoppingToken.IsCancellationRequested))
                {
                    error = ex;
                    problem = Describe(ex);
                    kind = AwsSinkSettings.Kind(ex);
                }

                if (problem is null)
                {
                    if (reported is not null)
                    {
                        status.Succeeded(DeliveryHealth.Stream);
                        LogStreamUsable(SinkName, StreamName, failures);
                    }

                    failures = 0;
                    reported = null;
                    await WaitForNextCheckAsync(stoppingToken);
                    continue;
                }

                failures++;
                status.Failed(DeliveryHealth.Stream, $"{SinkName} sink: {problem}", time.GetUtcNow());
                if (kind != reported)
                {
                    LogStreamNotUsable(error, SinkName, StreamName, problem);
                    reported = kind;
                }

                await Task.Delay(_retries.Delay(failures), time, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Sink} stream {Stream} cannot take events: {Reason}. Accepted events wait in the queue; checking again with backoff")]
    private partial void LogStreamNotUsable(Exception? exception, string sink, string stream, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Sink} stream {Stream} is usable again after {Failures} failed checks")]
    private partial void LogStreamUsable(string sink, string stream, int failures);
}
