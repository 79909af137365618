using System.Collections.Concurrent;
using Tracking.Events;

namespace Tracking.Api.TrackingPlans;

/// <summary>
/// Events checked against a plan since start, by source and event name: how many kept to it, were flagged, were
/// quarantined (what <c>/status.json</c> shows). At most <see cref="MaxNames"/> names per source are counted apart;
/// the rest are summed under <see cref="OtherNames"/>, so a client inventing names cannot grow memory without bound.
/// </summary>
internal sealed class PlanCounters
{
    public const int MaxNames = 1000;
    public const string OtherNames = "(other names)";

    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, Counts>> _sources = new(StringComparer.Ordinal);

    public void Count(string source, EventType type, string? name, PlanVerdict verdict)
    {
        var names = _sources.GetOrAdd(source, _ => new ConcurrentDictionary<string, Counts>(StringComparer.Ordinal));
        var key = type == EventType.Track ? name ?? "" : $"{type.ToWireName()} {name}".TrimEnd();
        if (!names.TryGetValue(key, out var counts))
        {
            counts = names.Count >= MaxNames ? names.GetOrAdd(OtherNames, _ => new Counts()) : names.GetOrAdd(key, _ => new Counts());
        }

        switch (verdict)
        {
            case PlanVerdict.Pass:
                Interlocked.Increment(ref counts.Passed);
                break;
            case PlanVerdict.Flagged:
                Interlocked.Increment(ref counts.Flagged);
                break;
            default:
                Interlocked.Increment(ref counts.Quarantined);
                break;
        }
    }

    /// <summary>By source, then by name (a track event's name; <c>page Home</c>, <c>identify</c> for the others).</summary>
    public Dictionary<string, Dictionary<string, PlanCountsView>> Snapshot() =>
        _sources.ToDictionary(
            s => s.Key,
            s => s.Value.ToDictionary(n => n.Key, n => new PlanCountsView(Volatile.Read(ref n.Value.Passed), Volatile.Read(ref n.Value.Flagged), Volatile.Read(ref n.Value.Quarantined)), StringComparer.Ordinal),
            StringComparer.Ordinal);

    private sealed class Counts
    {
        public long Passed;
        public long Flagged;
        public long Quarantined;
    }
}

/// <summary>One event name's counts.</summary>
/// <param name="Passed">Checked and kept to the plan.</param>
/// <param name="Flagged">Broke it and went to the main stream with their violations.</param>
/// <param name="Quarantined">Broke it and went to the quarantine.</param>
internal sealed record PlanCountsView(long Passed, long Flagged, long Quarantined);
