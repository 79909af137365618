using Microsoft.Extensions.Time.Testing;

namespace Tracking.Testing.Time;

/// <summary>
/// <see cref="FakeTimeProvider"/> that also knows which of its timers are waiting and when they fall due, and records
/// every due time asked for, so a test can move the clock only when the code under test waits, and exactly as far as
/// its next timer: time then passes only where the code sleeps, never while it works, however slow the machine.
/// </summary>
public sealed class FakeClock(DateTimeOffset start) : FakeTimeProvider(start)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<WatchedTimer, DateTimeOffset> _waiting = [];
    private readonly List<TimeSpan> _scheduledDelays = [];

    /// <summary>The due time of every timer started so far, in order.</summary>
    public IReadOnlyList<TimeSpan> ScheduledDelays
    {
        get
        {
            lock (_gate)
            {
                return [.. _scheduledDelays];
            }
        }
    }

    /// <summary>The number of timers waiting to fire.</summary>
    public int PendingTimerCount
    {
        get
        {
            lock (_gate)
            {
                return _waiting.Count;
            }
        }
    }

    /// <summary>Moves the clock to the earliest waiting timer's due time (firing it); false, and no move, when none waits.</summary>
    public bool AdvanceToNextTimer()
    {
        DateTimeOffset next;
        lock (_gate)
        {
            if (_waiting.Count == 0)
            {
                return false;
            }

            next = _waiting.Values.Min();
        }

        var by = next - GetUtcNow();
        Advance(by > TimeSpan.Zero ? by : TimeSpan.Zero);
        return true;
    }

    /// <inheritdoc/>
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var watched = new WatchedTimer(this);
        watched.Inner = base.CreateTimer(
            s =>
            {
                watched.Fired();
                callback(s);
            },
            state,
            Timeout.InfiniteTimeSpan,
            Timeout.InfiniteTimeSpan);
        watched.Change(dueTime, period);
        return watched;
    }

    private void Schedule(WatchedTimer timer, TimeSpan dueTime, TimeSpan period)
    {
        lock (_gate)
        {
            timer.Period = period;
            if (dueTime == Timeout.InfiniteTimeSpan)
            {
                _waiting.Remove(timer);
                return;
            }

            _scheduledDelays.Add(dueTime);
            _waiting[timer] = GetUtcNow() + dueTime;
        }
    }

    private void Fired(WatchedTimer timer)
    {
        lock (_gate)
        {
            if (timer.Period == Timeout.InfiniteTimeSpan || timer.Period == TimeSpan.Zero)
            {
                _waiting.Remove(timer);
            }
            else if (_waiting.ContainsKey(timer))
            {
                _waiting[timer] = GetUtcNow() + timer.Period;
            }
        }
    }

    private void Forget(WatchedTimer timer)
    {
        lock (_gate)
        {
            _waiting.Remove(timer);
        }
    }

    private sealed class WatchedTimer(FakeClock owner) : ITimer
    {
        public ITimer Inner { get; set; } = null!;

        public TimeSpan Period { get; set; }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            owner.Schedule(this, dueTime, period);
            return Inner.Change(dueTime, period);
        }

        public void Fired() => owner.Fired(this);

        public void Dispose()
        {
            owner.Forget(this);
            Inner.Dispose();
        }

        public ValueTask DisposeAsync()
        {
            owner.Forget(this);
            return Inner.DisposeAsync();
        }
    }
}
