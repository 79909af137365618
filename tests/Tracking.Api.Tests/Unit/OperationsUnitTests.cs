using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Tracking.Api.Admin;
using Tracking.Api.Debugger;
using Tracking.Api.Delivery;
using Tracking.Api.Status;
using Tracking.Api.Telemetry;
using Tracking.Testing;

namespace Tracking.Api.Tests.Unit;

public class OperationsUnitTests
{
    private const string Key = "unit-admin-key-0123456789";

    [Fact]
    public void ASessionCookieIsValidUntilItExpiresAndOnlyForTheKeyThatIssuedIt()
    {
        var now = new DateTimeOffset(2026, 11, 30, 9, 0, 0, TimeSpan.Zero);
        var cookie = AdminSession.Issue(Key, now);
        Assert.DoesNotContain(Key, cookie, StringComparison.Ordinal);
        Assert.True(AdminSession.IsValid(Key, cookie, now + TimeSpan.FromHours(11)));
        Assert.False(AdminSession.IsValid(Key, cookie, now + AdminSession.Lifetime));
        Assert.False(AdminSession.IsValid(Key + "-rotated", cookie, now));
        Assert.False(AdminSession.IsValid(Key, cookie[..^1] + (cookie[^1] == 'A' ? 'B' : 'A'), now));
        Assert.False(AdminSession.IsValid(Key, "", now));
        Assert.False(AdminSession.IsValid(Key, "99999999999.", now));
    }

    [Fact]
    public async Task TheHistorySamplesEveryFiveSecondsOfTheClockAndKeepsFifteenMinutes()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var meters = services.GetRequiredService<IMeterFactory>();
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 30, 9, 0, 0, TimeSpan.Zero));
        var queue = new EventQueue(Options.Create(new QueueOptions()), clock);
        var metrics = new TrackingMetrics(meters, queue);
        using var counters = new StatusCounters(meters);
        using var history = new StatusHistory(counters, queue, clock);
        await history.StartAsync(CancellationToken.None);

        metrics.Accepted(10, "s");
        metrics.Rejected(5, "invalid");
        metrics.Sent(4, "File");
        clock.Advance(StatusHistory.Interval);
        await Eventually.TrueAsync(() => history.Samples().Count == 1, "the sampler takes its first sample");

        var first = history.Samples()[0];
        Assert.Equal(clock.GetUtcNow(), first.At);
        Assert.Equal(3.0, first.InPerSecond);
        Assert.Equal(2.0, first.AcceptedPerSecond);
        Assert.Equal(1.0, first.RejectedPerSecond);
        Assert.Equal(0.8, first.DeliveredPerSecond);

        for (var i = 0; i < StatusHistory.Capacity + 20; i++)
        {
            var before = history.Samples()[^1].At;
            clock.Advance(StatusHistory.Interval);
            await Eventually.TrueAsync(() => history.Samples()[^1].At > before, "the sampler takes the next sample");
        }

        var samples = history.Samples();
        Assert.Equal(StatusHistory.Capacity, samples.Count);
        Assert.Equal(clock.GetUtcNow(), samples[^1].At);
        Assert.Equal(TimeSpan.FromMinutes(15) - StatusHistory.Interval, samples[^1].At - samples[0].At);
        Assert.Equal(0, samples[^1].AcceptedPerSecond);
        await history.StopAsync(CancellationToken.None);
    }

    [Fact]
    public void CountersHearOnlyTheirOwnAppsMetersNotAnotherHostsInTheSameProcess()
    {
        using var mine = new ServiceCollection().AddMetrics().BuildServiceProvider();
        using var other = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var queue = new EventQueue(Options.Create(new QueueOptions()), TimeProvider.System);
        var myMetrics = new TrackingMetrics(mine.GetRequiredService<IMeterFactory>(), queue);
        var otherMetrics = new TrackingMetrics(other.GetRequiredService<IMeterFactory>(), queue);
        using var counters = new StatusCounters(mine.GetRequiredService<IMeterFactory>());

        myMetrics.Accepted(2, "s");
        otherMetrics.Accepted(7, "s");
        myMetrics.Recovered(1, "Kinesis");

        var totals = counters.Snapshot();
        Assert.Equal(2, totals.Accepted);
        Assert.Equal(1, totals.Recovered);
    }

    [Fact]
    public void TheTapKeepsNothingWhileNoDebuggerIsConnectedAndTheLastFiveHundredWhileOneIs()
    {
        var tap = new EventTap();
        tap.Observe([Event("before")]);
        using (var first = tap.Connect())
        {
            Assert.Empty(first.Recent);
            for (var i = 0; i < EventTap.Capacity + 5; i++)
            {
                tap.Observe([Event($"e{i}")]);
            }
        }

        Assert.Equal(0, tap.Watching);
        tap.Observe([Event("after")]);
        using var second = tap.Connect();
        Assert.Equal(EventTap.Capacity, second.Recent.Count);
        Assert.Equal("e5", System.Text.Encoding.UTF8.GetString(second.Recent[0].Json));
        Assert.Equal($"e{EventTap.Capacity + 4}", System.Text.Encoding.UTF8.GetString(second.Recent[^1].Json));
    }

    [Fact]
    public void EventIdsDifferBetweenTwoRunsOfTheApiSoAReconnectingPageKeepsNewEventsAfterARestart()
    {
        var before = new EventTap();
        var after = new EventTap();
        using var first = before.Connect();
        using var second = after.Connect();
        before.Observe([Event("a")]);
        after.Observe([Event("b")]);
        Assert.True(first.Events.TryRead(out var a));
        Assert.True(second.Events.TryRead(out var b));
        Assert.EndsWith(".1", a.Id, StringComparison.Ordinal);
        Assert.EndsWith(".1", b.Id, StringComparison.Ordinal);
        Assert.NotEqual(a.Id, b.Id);
    }

    private static EnrichedEvent Event(string text) => new(System.Text.Encoding.UTF8.GetBytes(text), text, text);
}
