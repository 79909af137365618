using Tracking.Api.Delivery;

namespace Tracking.Api.Status;

/// <summary>
/// The last 15 minutes for the status page's charts: every <see cref="Interval"/> it turns the running
/// totals into per-second rates over that interval and notes the queue's depth and oldest age, keeping
/// <see cref="Capacity"/> samples in a ring. Its clock is the injected <see cref="TimeProvider"/>.
/// </summary>
internal sealed class StatusHistory(StatusCounters counters, IEventQueue queue, TimeProvider time) : BackgroundService
{
    /// <summary>Time between two samples.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    /// <summary>Samples kept: 15 minutes of them.</summary>
    public const int Capacity = 180;

    private readonly Lock _gate = new();
    private readonly StatusSample[] _ring = new StatusSample[Capacity];
    private int _next;
    private int _count;
    private StatusTotals? _previous;
    private DateTimeOffset _previousAt;
    private PeriodicTimer? _timer;

    /// <summary>When the API started (when sampling began).</summary>
    public DateTimeOffset StartedAt { get; private set; }

    /// <summary>The samples kept, oldest first.</summary>
    public IReadOnlyList<StatusSample> Samples()
    {
        lock (_gate)
        {
            var samples = new StatusSample[_count];
            for (var i = 0; i < _count; i++)
            {
                samples[i] = _ring[(_next - _count + i + Capacity) % Capacity];
            }

            return samples;
        }
    }

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        Baseline();

        // Started here rather than in ExecuteAsync, which runs later on the thread pool: the first interval begins with the baseline.
        _timer = new PeriodicTimer(Interval, time);
        return base.StartAsync(cancellationToken);
    }

    public override void Dispose()
    {
        _timer?.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (await _timer!.WaitForNextTickAsync(stoppingToken))
            {
                Sample();
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void Baseline()
    {
        lock (_gate)
        {
            _previous = counters.Snapshot();
            _previousAt = StartedAt = time.GetUtcNow();
        }
    }

    /// <summary>Takes one sample: the rates since the previous one and the queue as it is now.</summary>
    internal void Sample()
    {
        var now = time.GetUtcNow();
        var totals = counters.Snapshot();
        lock (_gate)
        {
            var previous = _previous ?? totals;
            var seconds = Math.Max((now - _previousAt).TotalSeconds, 0.001);
            double Rate(long current, long before) => Math.Round((current - before) / seconds, 3);
            _ring[_next] = new StatusSample(
                now,
                Rate(totals.Accepted + totals.RejectedTotal, previous.Accepted + previous.RejectedTotal),
                Rate(totals.Accepted, previous.Accepted),
                Rate(totals.RejectedTotal, previous.RejectedTotal),
                Rate(totals.RefusedTotal, previous.RefusedTotal),
                Rate(totals.Delivered, previous.Delivered),
                Rate(totals.Failed, previous.Failed),
                Rate(totals.Recovered, previous.Recovered),
                queue.Depth,
                queue.OldestAcceptedAt is { } oldest ? Math.Round(Math.Max((now - oldest).TotalSeconds, 0), 3) : 0);
            _next = (_next + 1) % Capacity;
            _count = Math.Min(_count + 1, Capacity);
            _previous = totals;
            _previousAt = now;
        }
    }
}
