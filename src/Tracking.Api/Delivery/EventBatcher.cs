using System.Diagnostics;
using Microsoft.Extensions.Options;
using Tracking.Api.Telemetry;
using Tracking.ServiceDefaults;
using Tracking.Aws.Retries;

namespace Tracking.Api.Delivery;

/// <summary>
/// Takes events from the queue, closes batches by count, bytes or linger time (whichever first)
/// and hands them to the sink with up to <see cref="BatchingOptions.MaxInFlight"/> deliveries at
/// once. What a delivery could not store (all of the batch, or the records a partial failure
/// names) is sent again with backoff until the sink takes it: accepted events are never dropped,
/// and while the sink is down the queue fills until the API answers 503. On shutdown it
/// stops taking new events, drains what is queued within the host's shutdown timeout, and
/// finalizes the sink.
/// </summary>
internal sealed partial class EventBatcher(
    IEventQueue queue,
    IEventSink sink,
    DeliveryHealth status,
    IOptions<BatchingOptions> options,
    TrackingMetrics metrics,
    TimeProvider time,
    ILogger<EventBatcher> logger) : BackgroundService
{
    private readonly BatchingOptions _options = options.Value;
    private readonly RetryPolicy _retries = options.Value.Retries();
    private readonly bool _durable = queue.IsDurable;

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        queue.Close();
        if (ExecuteTask is { } running)
        {
            try
            {
                await running.WaitAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                LogShutdownDeadline(logger, queue.Depth, _durable ? "; they stay in the spool for the next start" : "; held in memory only, they are lost");
            }
        }

        await base.StopAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Not disposed: deliveries cut off by the shutdown deadline may still release it after this method returns.
        var inFlight = new SemaphoreSlim(_options.MaxInFlight, _options.MaxInFlight);
        try
        {
            while (await queue.WaitToReadAsync(stoppingToken))
            {
                var batch = await CollectAsync(stoppingToken);
                if (batch.Count == 0)
                {
                    continue;
                }

                await inFlight.WaitAsync(stoppingToken);
                _ = DeliverThenReleaseAsync(batch, inFlight, stoppingToken);
            }

            // Queue closed and empty: wait for the last deliveries, then make them final.
            for (var i = 0; i < _options.MaxInFlight; i++)
            {
                await inFlight.WaitAsync(stoppingToken);
            }

            await sink.FlushAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            LogShutdownDeadline(logger, queue.Depth, _durable ? "; they stay in the spool for the next start" : "; held in memory only, they are lost");
        }
    }

    private async Task<List<EnrichedEvent>> CollectAsync(CancellationToken stoppingToken)
    {
        var batch = new List<EnrichedEvent>(Math.Min(_options.MaxEvents, 64));
        long bytes = 0;
        CancellationTokenSource? lingerTimer = null;
        CancellationTokenSource? linger = null;
        try
        {
            while (batch.Count < _options.MaxEvents)
            {
                if (queue.TryPeek(out var next))
                {
                    if (batch.Count > 0 && bytes + next.SizeBytes > _options.MaxBytes)
                    {
                        break;
                    }

                    queue.TryRead(out next);
                    batch.Add(next);
                    bytes += next.SizeBytes;
                    if (linger is null)
                    {
                        lingerTimer = new CancellationTokenSource(_options.Linger, time);
                        linger = CancellationTokenSource.CreateLinkedTokenSource(lingerTimer.Token, stoppingToken);
                    }

                    continue;
                }

                if (linger is null)
                {
                    if (!await queue.WaitToReadAsync(stoppingToken))
                    {
                        break;
                    }

                    continue;
                }

                try
                {
                    if (!await queue.WaitToReadAsync(linger.Token))
                    {
                        break;
                    }
                }
                catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
                {
                    break;
                }
            }
        }
        finally
        {
            linger?.Dispose();
            lingerTimer?.Dispose();
        }

        return batch;
    }

    private async Task DeliverThenReleaseAsync(List<EnrichedEvent> batch, SemaphoreSlim inFlight, CancellationToken stoppingToken)
    {
        try
        {
            await DeliverAsync(batch, stoppingToken);
        }
        finally
        {
            inFlight.Release();
        }
    }

    private async Task DeliverAsync(List<EnrichedEvent> batch, CancellationToken stoppingToken)
    {
        IReadOnlyList<EnrichedEvent> pending = batch;
        for (var attempt = 1; ; attempt++)
        {
            DeliveryResult result;
            Exception? error = null;
            var started = time.GetTimestamp();
            using var put = TrackingTracing.StartPut(sink.Name, sink.Destination, pending, attempt);
            metrics.InFlight(1);
            var delivery = status.DeliveryStarted();
            try
            {
                result = await sink.DeliverAsync(pending, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                put?.SetStatus(ActivityStatusCode.Error, "shutdown cut the delivery off");
                Abandon(pending.Count);
                return;
            }
            catch (Exception ex)
            {
                error = ex;
                result = new DeliveryResult(pending, ex.Message);
            }
            finally
            {
                status.DeliveryEnded(delivery);
                metrics.InFlight(-1);
            }

            metrics.Delivery(time.GetElapsedTime(started), pending.Count, sink.Name);
            if (put is not null && !result.AllDelivered)
            {
                put.SetTag(TelemetryNames.Attributes.DeliveryFailed, result.Failed.Count);
                put.SetStatus(ActivityStatusCode.Error, result.FailureReason ?? "the sink refused them");
                if (error is not null)
                {
                    put.AddException(error);
                }
            }

            if (result.AllDelivered)
            {
                // Before the acknowledgement, so whoever sees the events gone from the queue sees the recovery too.
                status.Succeeded(DeliveryHealth.Deliveries);
            }

            var delivered = Delivered(pending, result);
            if (delivered.Count > 0)
            {
                queue.Acknowledge(delivered);
                metrics.Sent(delivered.Count, sink.Name);
                if (attempt > 1)
                {
                    metrics.Recovered(delivered.Count, sink.Name);
                }
            }

            if (result.AllDelivered)
            {
                if (attempt > 1)
                {
                    LogRecovered(logger, batch.Count, sink.Name, attempt);
                }

                return;
            }

            metrics.Failed(result.Failed.Count, sink.Name);
            var reason = result.FailureReason ?? "the sink refused them";
            status.Failed(DeliveryHealth.Deliveries, $"{sink.Name} sink: {result.Failed.Count} of {pending.Count} events not delivered: {reason}", time.GetUtcNow());
            var delay = Backoff(attempt);
            LogDeliveryFailed(logger, error, result.Failed.Count, pending.Count, sink.Name, attempt, reason, delay);
            pending = result.Failed;
            try
            {
                await Task.Delay(delay, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                Abandon(pending.Count);
                return;
            }
        }
    }

    /// <summary>The events of <paramref name="pending"/> the sink stored: all of them but those the result names as failed.</summary>
    private static IReadOnlyList<EnrichedEvent> Delivered(IReadOnlyList<EnrichedEvent> pending, DeliveryResult result)
    {
        if (result.AllDelivered)
        {
            return pending;
        }

        var failed = new HashSet<long>(result.Failed.Count);
        foreach (var e in result.Failed)
        {
            failed.Add(e.Position);
        }

        return pending.Where(e => !failed.Contains(e.Position)).ToList();
    }

    internal TimeSpan Backoff(int attempt) => _retries.Delay(attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Failed} of {Count} events were not delivered to the {Sink} sink (attempt {Attempt}): {Reason}; retrying in {Delay}")]
    private static partial void LogDeliveryFailed(ILogger logger, Exception? exception, int failed, int count, string sink, int attempt, string reason, TimeSpan delay);

    [LoggerMessage(Level = LogLevel.Information, Message = "Delivered {Count} events to the {Sink} sink after {Attempt} attempts")]
    private static partial void LogRecovered(ILogger logger, int count, string sink, int attempt);

    /// <summary>Shutdown cut a delivery off: the spool keeps the events for the next start; memory loses them.</summary>
    private void Abandon(int count)
    {
        if (_durable)
        {
            LogLeftInSpool(logger, count, sink.Name);
        }
        else
        {
            metrics.Dropped(count, sink.Name);
            LogAbandoned(logger, count, sink.Name);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Shutdown cut off delivery of {Count} events to the {Sink} sink; they were held in memory only (Tracking:Spool:Durability=Memory) and are lost")]
    private static partial void LogAbandoned(ILogger logger, int count, string sink);

    [LoggerMessage(Level = LogLevel.Information, Message = "Shutdown cut off delivery of {Count} events to the {Sink} sink; they stay in the spool and are delivered at the next start")]
    private static partial void LogLeftInSpool(ILogger logger, int count, string sink);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The shutdown deadline passed with {Depth} events not yet delivered{Where}")]
    private static partial void LogShutdownDeadline(ILogger logger, long depth, string where);
}
