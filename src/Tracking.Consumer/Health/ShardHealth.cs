using Microsoft.Extensions.Options;
using Tracking.Aws.Retries;
using Tracking.Consumer.Leases;
using Tracking.Events;

namespace Tracking.Consumer.Health;

/// <summary>
/// What this worker knows of each shard's progress: when it took it, what it read and committed, and the failures in
/// a row since its last commit, with the back-off before the next attempt. The coordinator asks it whether a shard
/// may be taken again, <c>/status.json</c> shows what is stuck, and readiness reports a shard that fails again and
/// again or has not committed for <see cref="ShardHealthOptions.StuckAfter"/> while records wait.
/// </summary>
internal sealed class ShardHealth(IOptions<ShardHealthOptions> options, TimeProvider timeProvider)
{
    /// <summary>The back-off before this worker takes a failed shard again: from 1 s, doubling with each failure in a
    /// row, with equal jitter, at most 30 s, so a shard whose warehouse or stream comes back is read again within that.</summary>
    internal static readonly RetryPolicy Retries = new(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), Jitter.Equal);

    /// <summary>A shard that keeps failing is logged at Warning at most once per this interval.</summary>
    internal static readonly TimeSpan LogInterval = TimeSpan.FromMinutes(1);

    private readonly Lock _gate = new();
    private readonly Dictionary<string, State> _shards = new(StringComparer.Ordinal);

    /// <summary>The lease is taken and reading starts after <paramref name="checkpoint"/>.</summary>
    public void Started(string shardId, string? checkpoint)
    {
        lock (_gate)
        {
            var state = Get(shardId);
            state.Held = true;
            state.HeldSince = timeProvider.GetUtcNow();
            state.LastRead = checkpoint;
            state.LastCommitted = checkpoint;
            state.MillisBehindLatest = 0;
        }
    }

    /// <summary>A read answered: <paramref name="lastSequenceNumber"/> is its last record, when it had any.</summary>
    public void Read(string shardId, string? lastSequenceNumber, long? millisBehindLatest)
    {
        lock (_gate)
        {
            var state = Get(shardId);
            state.LastRead = lastSequenceNumber ?? state.LastRead;
            state.MillisBehindLatest = millisBehindLatest ?? state.MillisBehindLatest;

            // Reading again at the tip with nothing left to load: whatever failed works again.
            if (state.Failures > 0 && state.Held && state.LastRead == state.LastCommitted && state.MillisBehindLatest == 0)
            {
                state.ClearFailures();
            }
        }
    }

    /// <summary>A load committed up to <paramref name="sequenceNumber"/>: the shard moves, and its failures are over.</summary>
    public void Committed(string shardId, string? sequenceNumber)
    {
        lock (_gate)
        {
            var state = Get(shardId);
            state.LastCommitAt = timeProvider.GetUtcNow();
            state.LastCommitted = sequenceNumber ?? state.LastCommitted;
            state.ClearFailures();
        }
    }

    /// <summary>The shard's processing failed with <paramref name="exception"/>: counts it, draws the back-off, and
    /// says how loudly to log it.</summary>
    public ShardFailure Failed(string shardId, Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        lock (_gate)
        {
            var now = timeProvider.GetUtcNow();
            var state = Get(shardId);
            state.Held = false;
            state.Failures++;
            state.FailingSince ??= now;
            state.LastError = $"{exception.GetType().Name}: {exception.Message}";
            state.FailedAtCheckpoint = state.LastCommitted;
            var delay = Retries.Delay(state.Failures);
            state.RetryAt = now + delay;
            var first = state.Failures == 1;
            var warn = first || state.LastWarnedAt is not { } warned || now - warned >= LogInterval;
            if (warn)
            {
                state.LastWarnedAt = now;
            }

            return new ShardFailure(state.Failures, state.FailingSince.Value, delay, state.LastError, WithStackTrace: first, Warn: warn);
        }
    }

    /// <summary>The shard is no longer read here (released, lost or stopped); what is known of its failures stays.</summary>
    public void Ended(string shardId)
    {
        lock (_gate)
        {
            if (_shards.TryGetValue(shardId, out var state))
            {
                state.Held = false;
            }
        }
    }

    /// <summary>The shard is finished: nothing more to know.</summary>
    public void Forget(string shardId)
    {
        lock (_gate)
        {
            _shards.Remove(shardId);
        }
    }

    /// <summary>Whether this worker should leave <paramref name="shardId"/> alone until its back-off has passed.</summary>
    public bool InBackoff(string shardId, DateTimeOffset now)
    {
        lock (_gate)
        {
            return _shards.TryGetValue(shardId, out var state) && !state.Held && state.RetryAt > now;
        }
    }

    /// <summary>Drops what the lease table shows is over: shards gone from it, finished, or moved on by another
    /// worker since they failed here.</summary>
    public void Observe(IReadOnlyList<Lease> leases)
    {
        ArgumentNullException.ThrowIfNull(leases);
        var byShard = leases.ToDictionary(l => l.ShardId, StringComparer.Ordinal);
        lock (_gate)
        {
            foreach (var (shardId, state) in _shards.ToList())
            {
                if (!byShard.TryGetValue(shardId, out var lease) || lease.Finished)
                {
                    _shards.Remove(shardId);
                }
                else if (!state.Held && state.Failures > 0 && lease.Checkpoint != state.FailedAtCheckpoint)
                {
                    _shards.Remove(shardId);
                }
            }
        }
    }

    /// <summary>The shards failing, or held and not advancing while records wait, as <c>/status.json</c> shows them.</summary>
    public IReadOnlyList<StuckShard> Stuck()
    {
        var settings = options.Value;
        var now = timeProvider.GetUtcNow();
        var stuck = new List<StuckShard>();
        lock (_gate)
        {
            foreach (var (shardId, state) in _shards.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                if (state.Failures > 0)
                {
                    stuck.Add(new StuckShard(
                        shardId,
                        StuckShard.Failing,
                        $"failed {state.Failures} times in a row; last: {state.LastError}",
                        state.Failures,
                        state.FailingSince!.Value,
                        state.RetryAt,
                        state.Failures >= settings.FailuresBeforeUnready));
                    continue;
                }

                var lastProgress = state.LastCommitAt is { } committed && committed > state.HeldSince ? committed : state.HeldSince;
                var waiting = state.LastRead != state.LastCommitted || state.MillisBehindLatest > 0;
                if (state.Held && waiting && now - lastProgress >= settings.StuckAfter)
                {
                    stuck.Add(new StuckShard(
                        shardId,
                        StuckShard.NotAdvancing,
                        $"no commit for {(now - lastProgress).TotalSeconds:0} s while records wait ({state.MillisBehindLatest} ms behind latest; read up to {state.LastRead ?? "nothing"}, committed up to {state.LastCommitted ?? "nothing"})",
                        0,
                        lastProgress,
                        null,
                        true));
                }
            }
        }

        return stuck;
    }

    private State Get(string shardId)
    {
        if (!_shards.TryGetValue(shardId, out var state))
        {
            state = new State { HeldSince = timeProvider.GetUtcNow() };
            _shards[shardId] = state;
        }

        return state;
    }

    private sealed class State
    {
        public bool Held { get; set; }

        public DateTimeOffset HeldSince { get; set; }

        public DateTimeOffset? LastCommitAt { get; set; }

        public string? LastRead { get; set; }

        public string? LastCommitted { get; set; }

        public long MillisBehindLatest { get; set; }

        public int Failures { get; set; }

        public DateTimeOffset? FailingSince { get; set; }

        public DateTimeOffset? LastWarnedAt { get; set; }

        public DateTimeOffset? RetryAt { get; set; }

        public string? LastError { get; set; }

        public string? FailedAtCheckpoint { get; set; }

        public void ClearFailures()
        {
            Failures = 0;
            FailingSince = null;
            LastWarnedAt = null;
            RetryAt = null;
            LastError = null;
            FailedAtCheckpoint = null;
        }
    }
}
