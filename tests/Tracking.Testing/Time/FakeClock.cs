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

    /// <summary>
    /// When true, every timer started fires at once, with the clock moved on to its due time: for back-off loops whose
    /// delays should be recorded (<see cref="ScheduledDelays"/>) but not waited for. A periodic timer fires once.
    /// False by default: the clock moves only when the test moves it.
    /// </summary>
    public bool AutoAdvance { get; init; }

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

        AdvanceTo(next);
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

    private void AdvanceTo(DateTimeOffset due)
    {
        var by = due - GetUtcNow();
        Advance(by > TimeSpan.Zero ? by : TimeSpan.Zero);
    }

    private int Schedule(WatchedTimer timer, TimeSpan dueTime, TimeSpan period)
    {
        var now = GetUtcNow();
        lock (_gate)
        {
            timer.Period = period;
            timer.Generation++;
            if (dueTime == Timeout.InfiniteTimeSpan)
            {
                _waiting.Remove(timer);
                return timer.Generation;
            }

            _scheduledDelays.Add(dueTime);
            _waiting[timer] = now + dueTime;
            return timer.Generation;
        }
    }

    private void Started(WatchedTimer timer, int generation, TimeSpan dueTime)
    {
        if (AutoAdvance && dueTime > TimeSpan.Zero && dueTime != Timeout.InfiniteTimeSpan)
        {
            // Off the caller's stack: whoever called CreateTimer (Task.Delay, a CancellationTokenSource) may still be
            // wiring the timer up, and Advance runs the callback, and all it completes, on the thread that calls it.
            ThreadPool.UnsafeQueueUserWorkItem(static start => start.Timer.Owner.AdvanceToDueTime(start), new TimerStart(timer, generation), preferLocal: false);
        }
    }

    private void AdvanceToDueTime(TimerStart start)
    {
        DateTimeOffset due;
        lock (_gate)
        {
            // Changed again since (that start moves the clock itself), fired, or disposed: nothing left to move for.
            if (start.Timer.Generation != start.Generation || !_waiting.TryGetValue(start.Timer, out due))
            {
                return;
            }
        }

        AdvanceTo(due);
    }

    private void Fired(WatchedTimer timer)
    {
        var now = GetUtcNow();
        lock (_gate)
        {
            timer.Generation++;
            if (timer.Period == Timeout.InfiniteTimeSpan || timer.Period == TimeSpan.Zero)
            {
                _waiting.Remove(timer);
            }
            else if (_waiting.ContainsKey(timer))
            {
                _waiting[timer] = now + timer.Period;
            }
        }
    }

    private void Forget(WatchedTimer timer)
    {
        lock (_gate)
        {
            timer.Generation++;
            _waiting.Remove(timer);
        }
    }

    private sealed record TimerStart(WatchedTimer Timer, int Generation);

    private sealed class WatchedTimer(FakeClock owner) : ITimer
    {
        public FakeClock Owner => owner;

        public ITimer Inner { get; set; } = null!;

        public TimeSpan Period { get; set; }

        /// <summary>Counts starts, fires and disposal, under the clock's lock: a queued automatic move checks it is still current.</summary>
        public int Generation { get; set; }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            var generation = owner.Schedule(this, dueTime, period);
            var changed = Inner.Change(dueTime, period);
            owner.Started(this, generation, dueTime);
            return changed;
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
