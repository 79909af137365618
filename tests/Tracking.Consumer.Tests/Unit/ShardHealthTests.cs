using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Tracking.Consumer.Health;
using Tracking.Consumer.Leases;
using Tracking.Consumer.Shards;
using Tracking.Events;

namespace Tracking.Consumer.Tests.Unit;

public sealed class ShardHealthTests
{
    private const string ShardId = "shardId-000000000000";
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 7, 6, 0, 0, TimeSpan.Zero));
    private readonly ShardHealth _health;

    public ShardHealthTests() =>
        _health = new ShardHealth(Options.Create(new ShardHealthOptions { StuckAfter = TimeSpan.FromMinutes(5), FailuresBeforeUnready = 3 }), _clock);

    [Fact]
    public void AHeldShardWithRecordsWaitingAndNoCommitForStuckAfterIsNotAdvancingUntilItCommits()
    {
        _health.Started(ShardId, "100");
        _health.Read(ShardId, "200", millisBehindLatest: 60_000);
        _clock.Advance(TimeSpan.FromMinutes(5) - TimeSpan.FromSeconds(1));
        Assert.Empty(_health.Stuck());

        _clock.Advance(TimeSpan.FromSeconds(1));
        var stuck = Assert.Single(_health.Stuck());
        Assert.Equal((ShardId, StuckShard.NotAdvancing, true), (stuck.ShardId, stuck.State, stuck.Unready));
        Assert.Contains("committed up to 100", stuck.Reason, StringComparison.Ordinal);

        _health.Committed(ShardId, "200");
        Assert.Empty(_health.Stuck());
    }

    [Fact]
    public void AnIdleShardAtTheTipIsNeverStuckHoweverLongSinceItsLastCommit()
    {
        _health.Started(ShardId, "100");
        _health.Read(ShardId, null, millisBehindLatest: 0);
        _clock.Advance(TimeSpan.FromHours(3));
        Assert.Empty(_health.Stuck());
    }

    [Fact]
    public void FailuresBackOffDoublingWarnOncePerIntervalAndMakeReadinessFailFromTheThird()
    {
        var delays = new List<TimeSpan>();
        var warned = 0;
        for (var attempt = 1; attempt <= 12; attempt++)
        {
            _health.Started(ShardId, "100");
            var failure = _health.Failed(ShardId, new InvalidOperationException("permission denied for table events"));
            Assert.Equal(attempt, failure.Failures);
            Assert.Equal(attempt == 1, failure.WithStackTrace);
            warned += failure.Warn ? 1 : 0;
            delays.Add(failure.RetryIn);
            Assert.True(_health.InBackoff(ShardId, _clock.GetUtcNow()));
            Assert.Equal(attempt >= 3, Assert.Single(_health.Stuck()).Unready);
            _clock.Advance(failure.RetryIn);
            Assert.False(_health.InBackoff(ShardId, _clock.GetUtcNow()));
        }

        // 0.5–1 s, 1–2 s, … up to 15–30 s: about three minutes for twelve attempts: the first, then one warning a minute.
        Assert.All(delays.Select((d, i) => (d, i)), p => Assert.InRange(p.d, ShardHealth.Retries.BaseDelay * Math.Min(Math.Pow(2, p.i), 30) / 2, ShardHealth.Retries.BaseDelay * Math.Min(Math.Pow(2, p.i), 30)));
        var elapsed = delays.Aggregate(TimeSpan.Zero, (a, d) => a + d);
        Assert.InRange(warned, 2, 1 + (int)(elapsed / ShardHealth.LogInterval));
        Assert.Contains("permission denied for table events", Assert.Single(_health.Stuck()).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void ACheckpointMovedInTheLeaseTableEndsTheBackOff()
    {
        _health.Started(ShardId, "100");
        _health.Failed(ShardId, new InvalidOperationException("bad checkpoint"));
        _health.Observe([Lease(ShardId, "100")]);
        Assert.True(_health.InBackoff(ShardId, _clock.GetUtcNow()));

        _health.Observe([Lease(ShardId, "150")]);
        Assert.False(_health.InBackoff(ShardId, _clock.GetUtcNow()));
        Assert.Empty(_health.Stuck());
    }

    [Fact]
    public void OutOfRangeSettingsAreRefusedNamingTheSettingAndTheLimit()
    {
        Assert.Empty(new ShardHealthOptions().Validate());
        var errors = new ShardHealthOptions { StuckAfter = TimeSpan.FromMilliseconds(10), FailuresBeforeUnready = 0 }.Validate().ToList();
        Assert.Equal(["Consumer:Health:StuckAfter", "Consumer:Health:FailuresBeforeUnready"], errors.Select(e => e.Split(' ')[0]));
        Assert.Contains("between 1 and 1000", errors[1], StringComparison.Ordinal);
        Assert.Equal((TimeSpan.FromMinutes(5), 3), (new ShardHealthOptions().StuckAfter, new ShardHealthOptions().FailuresBeforeUnready));
    }

    private static Lease Lease(string shardId, string checkpoint) =>
        new(shardId, [], StartPositions.TrimHorizon, null, 1, null, checkpoint, false);
}
