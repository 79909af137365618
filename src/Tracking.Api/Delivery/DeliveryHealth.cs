using System.Collections.Concurrent;
using System.Diagnostics;

namespace Tracking.Api.Delivery;

/// <summary>
/// How delivery is going, for the readiness check: each component that talks to the sink (the
/// batcher's deliveries, a sink's own puts, the stream monitor) reports for itself, so one's success
/// never clears another's failure; and how long the oldest delivery in flight has been waiting, so a
/// hung endpoint shows at once rather than after its timeouts run out.
/// </summary>
internal sealed class DeliveryHealth
{
    /// <summary>Component names: the batcher's deliveries.</summary>
    public const string Deliveries = "deliveries";

    /// <summary>Component names: a sink's own requests (per-shard puts).</summary>
    public const string Puts = "puts";

    /// <summary>Component names: the monitor that checks the stream exists and may be written.</summary>
    public const string Stream = "stream";

    private readonly ConcurrentDictionary<string, (string Error, DateTimeOffset Since)> _failing = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<long, long> _inFlight = new();
    private long _nextDelivery;

    /// <summary>Every failing component's error, or null when none fails.</summary>
    public string? LastError =>
        _failing.IsEmpty ? null : string.Join("; ", _failing.OrderBy(f => f.Value.Since).Select(f => f.Value.Error));

    /// <summary>When the earliest of the current failures began.</summary>
    public DateTimeOffset? FailingSince => _failing.IsEmpty ? null : _failing.Values.Min(f => f.Since);

    public void Succeeded(string component) => _failing.TryRemove(component, out _);

    public void Failed(string component, string error, DateTimeOffset now) =>
        _failing.AddOrUpdate(component, (error, now), (_, failing) => (error, failing.Since));

    /// <summary>Notes a delivery starting; pass what it returns to <see cref="DeliveryEnded"/>.</summary>
    public long DeliveryStarted()
    {
        var id = Interlocked.Increment(ref _nextDelivery);
        _inFlight[id] = Stopwatch.GetTimestamp();
        return id;
    }

    public void DeliveryEnded(long id) => _inFlight.TryRemove(id, out _);

    /// <summary>How long the oldest delivery in flight has been waiting for the sink; null when none is.</summary>
    public TimeSpan? OldestDeliveryAge => _inFlight.IsEmpty ? null : Stopwatch.GetElapsedTime(_inFlight.Values.Min());
}
