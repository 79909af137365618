namespace Tracking.Api.TrackingPlans;

/// <summary>
/// What was observed of one source's accepted traffic since start. The sampling gate is lock-free (it runs for every
/// event); what is recorded is guarded by <see cref="Gate"/>, which only sampled events take.
/// </summary>
internal sealed class SourceObservation
{
    private long _window;
    private long _taken;
    private long _offered;

    /// <summary>Guards everything below it and the shapes they hold.</summary>
    public Lock Gate { get; } = new();

    /// <summary>Events offered to the observer (every accepted event of the source with a name-bearing type), sampled or not.</summary>
    public long Offered => Volatile.Read(ref _offered);

    /// <summary>Events sampled and recorded (or counted as left out).</summary>
    public long Observed { get; set; }

    /// <summary>Sampled events whose name was not kept: past <see cref="PlanDraftOptions.MaxNamesPerSource"/>, or too long.</summary>
    public long OmittedEvents { get; set; }

    /// <summary>What the names and paths kept so far cost of <see cref="PlanDraftOptions.MaxDraftCharacters"/>.</summary>
    public long DraftCharacters { get; set; }

    /// <summary>Sampled pages and screens without a name: a plan can only list named ones.</summary>
    public long Unnamed { get; set; }

    public DateTimeOffset? FirstSeen { get; set; }

    public DateTimeOffset? LastSeen { get; set; }

    /// <summary>By plan section (<c>track</c>, <c>page</c>, <c>screen</c>, <c>identify</c>, <c>group</c>) and name (empty for identify and group).</summary>
    public Dictionary<(string Section, string Name), ObservedName> Names { get; } = [];

    /// <summary>
    /// Counts the event as offered and says whether it is one of the at most <paramref name="perSecond"/> observed in
    /// the current second of the clock whose <paramref name="timestamp"/> ticks <paramref name="frequency"/> times a second.
    /// A thread that counts in a new second just before the thread opening it resets the count may let one more
    /// through: the cap bounds the cost, it need not be exact.
    /// </summary>
    public bool TryTake(long timestamp, long frequency, int perSecond)
    {
        Interlocked.Increment(ref _offered);
        var second = timestamp / frequency;
        var window = Volatile.Read(ref _window);

        // One thread opens the new second: several resetting the count in turn would each let another share through.
        if (window != second && Interlocked.CompareExchange(ref _window, second, window) == window)
        {
            Volatile.Write(ref _taken, 0);
        }

        return Volatile.Read(ref _taken) < perSecond && Interlocked.Increment(ref _taken) <= perSecond;
    }
}
