using Microsoft.Extensions.Options;
using Tracking.Consumer.Loading;
using Tracking.Consumer.Shards;
using Tracking.Consumer.Telemetry;

namespace Tracking.Consumer.Leases;

/// <summary>
/// This worker's share of the stream. Every third of the lease duration it renews what it holds (a failed renewal
/// stops that shard's reading), re-lists the shards when one ended or the interval passed, and takes leases as
/// <see cref="LeaseBalancer"/> decides, starting one <see cref="ShardProcessor"/> per lease. On shutdown it stops
/// reading, lets each shard finish its load, and releases its leases so another worker takes them at once.
/// </summary>
internal sealed partial class LeaseCoordinator(
    ILeaseStore store,
    ShardDiscovery discovery,
    ShardProcessor processor,
    IOptions<LeaseOptions> leaseOptions,
    IOptions<WorkerOptions> workerOptions,
    IOptions<StreamOptions> streamOptions,
    ConsumerMetrics metrics,
    TimeProvider timeProvider,
    ILogger<LeaseCoordinator> logger) : BackgroundService
{
    private readonly Dictionary<string, RunningShard> _running = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _wake = new(0);
    private DateTimeOffset _nextListing = DateTimeOffset.MinValue;

    private string Stream => streamOptions.Value.StreamName!;

    private string Worker => workerOptions.Value.LeaseOwner;

    public override void Dispose()
    {
        _wake.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        LogStarted(workerOptions.Value.WorkerId, Worker, Stream);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    await TickAsync(stoppingToken);
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
                    // The renewal interval passed.
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
        }
    }

    private async Task TickAsync(CancellationToken cancellationToken)
    {
        Reap();
        var now = timeProvider.GetUtcNow();
        if (now >= _nextListing)
        {
            await discovery.SyncAsync(cancellationToken);
            _nextListing = now + leaseOptions.Value.ShardListInterval;
        }

        var expiresAt = timeProvider.GetUtcNow() + leaseOptions.Value.Duration;
        foreach (var (shardId, running) in _running.Where(r => !r.Value.Stopping).ToList())
        {
            if (!await store.RenewAsync(running.Fence, expiresAt, cancellationToken))
            {
                LogLeaseLost(shardId, running.Fence.Counter);
                running.Stop();
            }
        }

        var leases = await store.ListAsync(Stream, cancellationToken);
        now = timeProvider.GetUtcNow();
        foreach (var lease in LeaseBalancer.ChooseLeasesToTake(leases, Worker, now, _running.Where(r => !r.Value.Stopping).Select(r => r.Key).ToHashSet(StringComparer.Ordinal)))
        {
            if (_running.ContainsKey(lease.ShardId))
            {
                continue;
            }

            var fence = await store.TryTakeAsync(Stream, lease.ShardId, lease.Counter, Worker, now + leaseOptions.Value.Duration, cancellationToken);
            if (fence is null)
            {
                continue;
            }

            // The listing may predate the previous holder's last commit; once taken, nothing can move the
            // checkpoint but this worker, so reading it again now starts exactly after what is loaded.
            var taken = (await store.ListAsync(Stream, cancellationToken)).FirstOrDefault(l => l.ShardId == lease.ShardId) ?? lease;
            LogLeaseTaken(lease.ShardId, fence.Value.Counter, lease.Owner ?? "nobody", taken.Checkpoint ?? taken.StartPosition);
            Start(fence.Value, taken);
        }

        metrics.LeasesHeld(_running.Count(r => !r.Value.Stopping));
    }

    private void Start(ShardFence fence, Lease lease)
    {
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
        _running[fence.ShardId] = new RunningShard(fence, task, stop);
    }

    /// <summary>Forgets processors that ended; a shard end makes the next tick list the shards for its children.</summary>
    private void Reap()
    {
        foreach (var (shardId, running) in _running.Where(r => r.Value.Task.IsCompleted).ToList())
        {
            _running.Remove(shardId);
            metrics.ShardReleased(shardId);
            running.Dispose();
            if (running.Task.IsFaulted)
            {
                LogShardFailed(running.Task.Exception!.GetBaseException(), shardId);
                _ = ReleaseQuietlyAsync(running.Fence);
            }
            else if (running.Task.Result == ShardOutcome.Finished)
            {
                LogShardFinished(shardId);
                _nextListing = DateTimeOffset.MinValue;
            }
            else if (running.Task.Result == ShardOutcome.LeaseLost)
            {
                LogLeaseLost(shardId, running.Fence.Counter);
            }
        }
    }

    private async Task StopAllAsync()
    {
        foreach (var running in _running.Values)
        {
            running.Stop();
        }

        foreach (var (shardId, running) in _running)
        {
            try
            {
                var outcome = await running.Task;
                if (outcome != ShardOutcome.LeaseLost)
                {
                    await store.ReleaseAsync(running.Fence, CancellationToken.None);
                    LogLeaseReleased(shardId);
                }
            }
            catch (Exception exception)
            {
                LogShardFailed(exception, shardId);
            }
            finally
            {
                running.Dispose();
            }
        }

        _running.Clear();
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
            LogShardFailed(exception, fence.ShardId);
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

    [LoggerMessage(Level = LogLevel.Error, Message = "Shard {ShardId} failed; its lease is released for a retry")]
    private partial void LogShardFailed(Exception exception, string shardId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lease round failed; retrying at the next one")]
    private partial void LogTickFailed(Exception exception);

    private sealed class RunningShard(ShardFence fence, Task<ShardOutcome> task, CancellationTokenSource stop) : IDisposable
    {
        public ShardFence Fence => fence;

        public Task<ShardOutcome> Task => task;

        public bool Stopping { get; private set; }

        public void Stop()
        {
            Stopping = true;
            stop.Cancel();
        }

        public void Dispose() => stop.Dispose();
    }
}
