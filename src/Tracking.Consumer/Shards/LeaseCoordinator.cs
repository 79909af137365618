using Microsoft.Extensions.Options;
using Tracking.Consumer.Health;
using Tracking.Consumer.Leases;
using Tracking.Consumer.Telemetry;

namespace Tracking.Consumer.Shards;

/// <summary>
/// This worker's share of the stream, on two clocks. The renewer extends every lease it holds at a fixed rate, a
/// third of the lease duration, each renewal bounded by that third and run beside the others, so nothing else (a
/// slow <c>ListShards</c>, a blocked take, a long load) can delay it; a renewal the store refuses stops that shard's
/// reading, one that times out is tried again at the next beat. The taker, on its own loop, re-lists the shards when
/// one ended or the interval passed and takes leases as <see cref="LeaseBalancer"/> decides, starting one
/// <see cref="ShardProcessor"/> per lease. On shutdown it stops reading, lets each shard finish its load (still
/// renewing), and releases its leases so another worker takes them at once.
/// </summary>
internal sealed partial class LeaseCoordinator(
    ILeaseStore store,
    ShardDiscovery discovery,
    ShardProcessor processor,
    IOptions<LeaseOptions> leaseOptions,
    IOptions<WorkerOptions> workerOptions,
    IOptions<StreamOptions> streamOptions,
    ConsumerMetrics metrics,
    ShardHealth health,
    TimeProvider timeProvider,
    ILogger<LeaseCoordinator> logger) : BackgroundService
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, RunningShard> _running = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _wake = new(0);
    private DateTimeOffset _nextListing = DateTimeOffset.MinValue;

    private string Stream => streamOptions.Value.StreamName!;

    private string Worker => workerOptions.Value.LeaseOwner;

    /// <summary>The bound of one lease statement: a renewal that takes longer is abandoned and tried at the next beat.</summary>
    private TimeSpan StatementTimeout => leaseOptions.Value.RenewInterval;

    public override void Dispose()
    {
        _wake.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        LogStarted(workerOptions.Value.WorkerId, Worker, Stream);

        // Renewals go on through the shutdown's last loads, so those commit under a live lease.
        using var renewing = new CancellationTokenSource();
        var renewer = RenewLoopAsync(renewing.Token);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    await TakeRoundAsync(stoppingToken);
                }
                catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
                {
                    LogTickFailed(exception);
                }

                using var tick = new CancellationTokenSource(leaseOptions.Value.RenewInterval, timeProvider);
                using var wakeOrTick = CancellationTokenSource.CreateLinkedTokenSource(tick.Token, stoppingToken);
                try
                {
                    await _wake.WaitAsync(wakeOrTick.Token);
                }
                catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
                {
                    // The round's interval passed.
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }
        finally
        {
            await StopAllAsync();
            await renewing.CancelAsync();
            await renewer;
        }
    }

    /// <summary>Renews every held lease at a fixed rate until <paramref name="cancellationToken"/> fires.</summary>
    private async Task RenewLoopAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(leaseOptions.Value.RenewInterval, timeProvider);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                List<RunningShard> held;
                lock (_gate)
                {
                    held = _running.Values.Where(r => !r.Released && !r.Lost && !r.Task.IsCompleted).ToList();
                }

                var expiresAt = timeProvider.GetUtcNow() + leaseOptions.Value.Duration;
                await Task.WhenAll(held.Select(r => RenewAsync(r, expiresAt, cancellationToken)));
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopped after the last release.
        }
    }

    private async Task RenewAsync(RunningShard running, DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(StatementTimeout);
        try
        {
            if (await store.RenewAsync(running.Fence, expiresAt, bounded.Token))
            {
                return;
            }

            LogLeaseLost(running.Fence.ShardId, running.Fence.Counter);
            lock (_gate)
            {
                running.Lost = true;
                running.Stop();
            }
        }
        catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
        {
            // Not "lost": the store did not answer in time or refused to wait on a lock. The lease may still
            // expire, and then the fence, not this worker's belief, decides whether its next load commits.
            LogRenewalDeferred(running.Fence.ShardId, StatementTimeout, exception.GetType().Name, exception.Message);
        }
    }

    private async Task TakeRoundAsync(CancellationToken cancellationToken)
    {
        Reap();
        var now = timeProvider.GetUtcNow();
        if (now >= _nextListing)
        {
            await discovery.SyncAsync(cancellationToken);
            _nextListing = now + leaseOptions.Value.ShardListInterval;
        }

        var leases = await BoundedAsync(token => store.ListAsync(Stream, token), cancellationToken);
        health.Observe(leases);
        now = timeProvider.GetUtcNow();
        HashSet<string> reading;
        lock (_gate)
        {
            reading = _running.Where(r => !r.Value.Stopping).Select(r => r.Key).ToHashSet(StringComparer.Ordinal);
        }

        // A shard that failed here waits out its back-off before this worker tries it again.
        foreach (var lease in LeaseBalancer.ChooseLeasesToTake(leases, Worker, now, reading).Where(l => !health.InBackoff(l.ShardId, now)))
        {
            lock (_gate)
            {
                if (_running.ContainsKey(lease.ShardId))
                {
                    continue;
                }
            }

            ShardFence? fence;
            try
            {
                fence = await BoundedAsync(token => store.TryTakeAsync(Stream, lease.ShardId, lease.Counter, Worker, now + leaseOptions.Value.Duration, token), cancellationToken);
            }
            catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
            {
                // A take that would wait (a lock, a slow store) is not worth holding up the others: next round.
                LogTakeDeferred(lease.ShardId, exception.GetType().Name, exception.Message);
                continue;
            }

            if (fence is null)
            {
                continue;
            }

            // The listing may predate the previous holder's last commit; once taken, nothing can move the
            // checkpoint but this worker, so reading it again now starts exactly after what is loaded.
            var taken = (await BoundedAsync(token => store.ListAsync(Stream, token), cancellationToken)).FirstOrDefault(l => l.ShardId == lease.ShardId) ?? lease;
            LogLeaseTaken(lease.ShardId, fence.Value.Counter, lease.Owner ?? "nobody", taken.Checkpoint ?? taken.StartPosition);
            Start(fence.Value, taken);
        }

        lock (_gate)
        {
            metrics.LeasesHeld(_running.Count(r => !r.Value.Stopping));
        }
    }

    /// <summary>Runs one lease statement under <see cref="StatementTimeout"/>.</summary>
    private async Task<T> BoundedAsync<T>(Func<CancellationToken, Task<T>> statement, CancellationToken cancellationToken)
    {
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(StatementTimeout);
        return await statement(bounded.Token);
    }

    private void Start(ShardFence fence, Lease lease)
    {
        health.Started(fence.ShardId, lease.Checkpoint);
        var stop = new CancellationTokenSource();
        var task = Task.Run(async () =>
        {
            try
            {
                return await processor.RunAsync(fence, lease, stop.Token);
            }
            finally
            {
                // A processor that ends on its own (shard end, lease lost, failure) wakes the loop at once.
                _wake.Release();
            }
        });
        lock (_gate)
        {
            _running[fence.ShardId] = new RunningShard(fence, task, stop);
        }
    }

    /// <summary>Forgets processors that ended; a shard end makes the next round list the shards for its children.</summary>
    private void Reap()
    {
        List<(string ShardId, RunningShard Running)> ended;
        lock (_gate)
        {
            ended = _running.Where(r => r.Value.Task.IsCompleted).Select(r => (r.Key, r.Value)).ToList();
            foreach (var (shardId, running) in ended)
            {
                _running.Remove(shardId);
                running.Dispose();
            }
        }

        foreach (var (shardId, running) in ended)
        {
            metrics.ShardReleased(shardId);
            if (running.Task.IsFaulted)
            {
                var exception = running.Task.Exception!.GetBaseException();
                var failure = health.Failed(shardId, exception);
                if (failure.WithStackTrace)
                {
                    LogShardFailed(exception, shardId, failure.RetryIn);
                }
                else if (failure.Warn)
                {
                    LogShardStillFailing(shardId, failure.Failures, failure.Since, failure.Reason, failure.RetryIn);
                }
                else
                {
                    LogShardFailedAgain(shardId, failure.Failures, failure.Reason, failure.RetryIn);
                }

                _ = ReleaseQuietlyAsync(running.Fence);
            }
            else if (running.Task.Result == ShardOutcome.Finished)
            {
                health.Forget(shardId);
                LogShardFinished(shardId);
                _nextListing = DateTimeOffset.MinValue;
            }
            else
            {
                health.Ended(shardId);
                if (running.Task.Result == ShardOutcome.LeaseLost)
                {
                    LogLeaseLost(shardId, running.Fence.Counter);
                }
            }
        }
    }

    private async Task StopAllAsync()
    {
        List<KeyValuePair<string, RunningShard>> all;
        lock (_gate)
        {
            all = [.. _running];
            foreach (var running in _running.Values)
            {
                running.Stop();
            }
        }

        foreach (var (shardId, running) in all)
        {
            try
            {
                var outcome = await running.Task;
                if (outcome != ShardOutcome.LeaseLost)
                {
                    lock (_gate)
                    {
                        running.Released = true;
                    }

                    await store.ReleaseAsync(running.Fence, CancellationToken.None);
                    LogLeaseReleased(shardId);
                }
            }
            catch (Exception exception)
            {
                LogShardEndedWith(exception, shardId);
            }
        }

        lock (_gate)
        {
            foreach (var running in _running.Values)
            {
                running.Dispose();
            }

            _running.Clear();
        }

        metrics.LeasesHeld(0);
    }

    private async Task ReleaseQuietlyAsync(ShardFence fence)
    {
        try
        {
            await store.ReleaseAsync(fence, CancellationToken.None);
        }
        catch (Exception exception)
        {
            // The lease then expires on its own.
            LogReleaseFailed(fence.ShardId, exception.GetType().Name, exception.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Worker {WorkerId} reading stream {Stream} as lease owner {Owner}")]
    private partial void LogStarted(string workerId, string owner, string stream);

    [LoggerMessage(Level = LogLevel.Information, Message = "Lease on shard {ShardId} taken at counter {Counter} from {PreviousOwner}; reading from {Position}")]
    private partial void LogLeaseTaken(string shardId, long counter, string previousOwner, string position);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lease on shard {ShardId} at counter {Counter} lost to another worker")]
    private partial void LogLeaseLost(string shardId, long counter);

    [LoggerMessage(Level = LogLevel.Information, Message = "Lease on shard {ShardId} released")]
    private partial void LogLeaseReleased(string shardId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Shard {ShardId} finished; its children may start")]
    private partial void LogShardFinished(string shardId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Shard {ShardId} failed; its lease is released and this worker tries it again in {RetryIn} at the earliest")]
    private partial void LogShardFailed(Exception exception, string shardId, TimeSpan retryIn);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Shard {ShardId} still failing: {Failures} times in a row since {Since:O}; last: {Reason}; next try in {RetryIn}")]
    private partial void LogShardStillFailing(string shardId, int failures, DateTimeOffset since, string reason, TimeSpan retryIn);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Shard {ShardId} failed again ({Failures} in a row): {Reason}; next try in {RetryIn}")]
    private partial void LogShardFailedAgain(string shardId, int failures, string reason, TimeSpan retryIn);

    [LoggerMessage(Level = LogLevel.Error, Message = "Shard {ShardId} failed while stopping")]
    private partial void LogShardEndedWith(Exception exception, string shardId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lease on shard {ShardId} not released ({Error}: {Reason}); it expires on its own")]
    private partial void LogReleaseFailed(string shardId, string error, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lease on shard {ShardId} not renewed within {Timeout} ({Error}: {Reason}); trying again at the next beat")]
    private partial void LogRenewalDeferred(string shardId, TimeSpan timeout, string error, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Lease on shard {ShardId} not taken now ({Error}: {Reason}); trying again next round")]
    private partial void LogTakeDeferred(string shardId, string error, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lease round failed; retrying at the next one")]
    private partial void LogTickFailed(Exception exception);

    private sealed class RunningShard(ShardFence fence, Task<ShardOutcome> task, CancellationTokenSource stop) : IDisposable
    {
        public ShardFence Fence => fence;

        public Task<ShardOutcome> Task => task;

        public bool Stopping { get; private set; }

        /// <summary>Given up on shutdown: no longer renewed.</summary>
        public bool Released { get; set; }

        /// <summary>A renewal found another owner: no longer renewed.</summary>
        public bool Lost { get; set; }

        private bool Disposed { get; set; }

        /// <summary>Stops reading; called under the coordinator's lock, as <see cref="Dispose"/> is.</summary>
        public void Stop()
        {
            Stopping = true;
            if (!Disposed)
            {
                stop.Cancel();
            }
        }

        public void Dispose()
        {
            Disposed = true;
            stop.Dispose();
        }
    }
}
