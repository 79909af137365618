using Microsoft.Extensions.Time.Testing;
using Tracking.Aws.Retries;
using Tracking.Testing;

namespace Tracking.Aws.Tests.Unit;

public class RetryPolicyTests
{
    private static readonly TimeSpan Base = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan Cap = TimeSpan.FromSeconds(1);

    [Theory]
    [InlineData(1, 100)]
    [InlineData(2, 200)]
    [InlineData(3, 400)]
    [InlineData(4, 800)]
    [InlineData(5, 1000)]
    [InlineData(60, 1000)]
    public void CeilingDoublesWithEachRetryUpToMaxDelay(int retry, int expectedMilliseconds)
    {
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMilliseconds), new RetryPolicy(Base, Cap, Jitter.Full).Ceiling(retry));
    }

    [Theory]
    [InlineData(0.0, 0)]
    [InlineData(0.5, 200)]
    [InlineData(0.75, 300)]
    public void FullJitterDrawsBetweenZeroAndTheCeiling(double sample, int expectedMilliseconds)
    {
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMilliseconds), new RetryPolicy(Base, Cap, Jitter.Full).Delay(3, sample));
    }

    [Theory]
    [InlineData(0.0, 200)]
    [InlineData(0.5, 300)]
    [InlineData(0.75, 350)]
    public void EqualJitterDrawsBetweenHalfTheCeilingAndTheCeiling(double sample, int expectedMilliseconds)
    {
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMilliseconds), new RetryPolicy(Base, Cap, Jitter.Equal).Delay(3, sample));
    }

    [Fact]
    public void EqualJitterStaysAtLeastHalfTheCapOnceTheCeilingReachesIt()
    {
        var policy = new RetryPolicy(Base, Cap, Jitter.Equal);

        Assert.Equal(TimeSpan.FromMilliseconds(500), policy.Delay(40, 0.0));
        Assert.Equal(TimeSpan.FromMilliseconds(750), policy.Delay(40, 0.5));
    }

    [Fact]
    public void NoJitterWaitsExactlyTheCeilingWhateverTheSample()
    {
        var policy = new RetryPolicy(Base, Cap, Jitter.None);

        Assert.Equal(TimeSpan.FromMilliseconds(400), policy.Delay(3, 0.0));
        Assert.Equal(TimeSpan.FromMilliseconds(400), policy.Delay(3, 0.9));
    }

    [Fact]
    public void AnInjectedRandomDrawsTheSameDelaysAsItsSamples()
    {
        var policy = new RetryPolicy(Base, Cap, Jitter.Equal);
        var samples = new Random(42);
        var expected = Enumerable.Range(1, 5).Select(retry => policy.Delay(retry, samples.NextDouble())).ToList();

        var random = new Random(42);
        Assert.Equal(expected, Enumerable.Range(1, 5).Select(retry => policy.Delay(retry, random)));
    }

    [Theory]
    [InlineData(1, false)]
    [InlineData(2, false)]
    [InlineData(3, true)]
    public void ACeilingOnAttemptsCountsTheFirstAttempt(int attempt, bool last)
    {
        Assert.Equal(!last, new RetryPolicy(Base, Cap, Jitter.Full, MaxAttempts: 3).AllowsRetryAfter(attempt));
    }

    [Fact]
    public void WithoutACeilingEveryAttemptMayBeRetried()
    {
        Assert.True(new RetryPolicy(Base, Cap, Jitter.Equal).AllowsRetryAfter(int.MaxValue - 1));
        Assert.False(RetryPolicy.SingleAttempt.AllowsRetryAfter(1));
    }

    [Fact]
    public async Task RunRetriesWhatTheClassifierAcceptsAfterEachDelayUntilTheCeiling()
    {
        var clock = new FakeTimeProvider();
        var policy = new RetryPolicy(Base, Cap, Jitter.None, MaxAttempts: 3);
        var attempts = 0;
        var delays = new List<TimeSpan>();

        var run = policy.RunAsync<int>(
            _ =>
            {
                attempts++;
                throw new TimeoutException($"attempt {attempts}");
            },
            TransientErrors.IsTransient,
            (_, delay, _) => delays.Add(delay),
            clock,
            CancellationToken.None);

        Assert.Equal(1, attempts);
        clock.Advance(TimeSpan.FromMilliseconds(99));
        Assert.Equal(1, attempts);
        clock.Advance(TimeSpan.FromMilliseconds(1));
        await Eventually.TrueAsync(() => Volatile.Read(ref attempts) == 2 && delays.Count == 2, "the second attempt fails and its retry is scheduled", TimeSpan.FromSeconds(10));
        clock.Advance(TimeSpan.FromMilliseconds(200));
        var error = await Assert.ThrowsAsync<TimeoutException>(() => run);

        Assert.Equal("attempt 3", error.Message);
        Assert.Equal([TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(200)], delays);
    }

    [Fact]
    public async Task RunDoesNotRetryWhatTheClassifierRefuses()
    {
        var attempts = 0;

        await Assert.ThrowsAsync<InvalidOperationException>(() => new RetryPolicy(Base, Cap, Jitter.Full).RunAsync<int>(
            _ =>
            {
                attempts++;
                throw new InvalidOperationException("a bug, not an outage");
            },
            TransientErrors.IsTransient,
            null,
            new FakeTimeProvider(),
            CancellationToken.None));

        Assert.Equal(1, attempts);
    }
}
