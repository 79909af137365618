using Microsoft.Extensions.Options;
using Tracking.Aws.Kinesis;

namespace Tracking.Api.Delivery.Kinesis;

/// <summary>
/// Checks the stream from the start (DescribeStreamSummary) and keeps the sink's shard list current
/// (ListShards): right away, then every <see cref="KinesisSinkOptions.RefreshInterval"/> and whenever the sink
/// notices a reshard. A missing stream, refused credentials or an unreachable endpoint turn
/// <c>/health/ready</c> unhealthy with the reason, through the same <see cref="SinkStatus"/> the deliveries
/// report to, while the API keeps running and accepting; the check is retried with backoff and a success
/// clears what it reported.
/// </summary>
internal sealed partial class KinesisStreamMonitor(
    IKinesisClient client,
    KinesisSink sink,
    SinkStatus status,
    IOptions<KinesisSinkOptions> options,
    IOptions<BatchingOptions> batching,
    TimeProvider time,
    ILogger<KinesisStreamMonitor> logger) : BackgroundService
{
    private const string Permissions = "kinesis:DescribeStreamSummary and kinesis:ListShards";

    /// <summary>Refreshes asked for by the sink are at least this far apart, so a burst of hints costs one listing.</summary>
    internal static readonly TimeSpan MinimumSpacing = TimeSpan.FromSeconds(1);

    private readonly KinesisSinkOptions _options = options.Value;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var failures = 0;
        string? reported = null;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                sink.ResetRefreshRequest();
                await CheckAsync(stoppingToken);
                if (reported is not null)
                {
                    status.Succeeded(SinkStatus.Stream);
                    LogStreamUsable(logger, sink.StreamName, failures);
                }

                failures = 0;
                reported = null;
                await Task.Delay(MinimumSpacing, time, stoppingToken);
                await Task.WhenAny(sink.RefreshRequested, Task.Delay(_options.RefreshInterval - MinimumSpacing, time, stoppingToken));
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                failures++;
                var reason = ex is StreamNotUsableException
                    ? ex.Message
                    : AwsSinkSettings.Describe(ex, $"stream '{sink.StreamName}'", client.Endpoint, Permissions);
                status.Failed(SinkStatus.Stream, $"{sink.Name} sink: {reason}", time.GetUtcNow());

                // Logged when the kind of failure changes, not on every retry of a long outage.
                var kind = ex is StreamNotUsableException ? reason : AwsSinkSettings.Kind(ex);
                if (kind != reported)
                {
                    LogStreamNotUsable(logger, ex is StreamNotUsableException ? null : ex, sink.StreamName, reason);
                    reported = kind;
                }

                try
                {
                    await Task.Delay(batching.Value.RetryDelay(failures), time, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private async Task CheckAsync(CancellationToken cancellationToken)
    {
        var summary = (await client.DescribeStreamSummaryAsync(new DescribeStreamSummaryRequest { StreamName = sink.StreamName }, cancellationToken))
            .StreamDescriptionSummary;
        if (summary.StreamStatus is not (StreamStatus.Active or StreamStatus.Updating))
        {
            throw new StreamNotUsableException($"stream '{sink.StreamName}' is {summary.StreamStatus}, not ACTIVE");
        }

        var shards = await client.ListAllShardsAsync(sink.StreamName, cancellationToken: cancellationToken);
        try
        {
            sink.UseShards(ShardMap.FromOpenShards(shards));
        }
        catch (InvalidOperationException ex)
        {
            // A listing taken halfway through a reshard: keep routing as before and look again shortly.
            LogIncompleteListing(logger, sink.StreamName, ex.Message);
            sink.RequestRefresh();
        }
    }

    /// <summary>The stream exists but cannot take records yet (or any more).</summary>
    private sealed class StreamNotUsableException(string message) : Exception(message);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Kinesis stream {Stream} cannot take events: {Reason}. Accepted events wait in the queue; checking again with backoff")]
    private static partial void LogStreamNotUsable(ILogger logger, Exception? exception, string stream, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "The shard list of Kinesis stream {Stream} is incomplete ({Reason}); keeping the current shards and listing again")]
    private static partial void LogIncompleteListing(ILogger logger, string stream, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Kinesis stream {Stream} is usable again after {Failures} failed checks")]
    private static partial void LogStreamUsable(ILogger logger, string stream, int failures);
}
