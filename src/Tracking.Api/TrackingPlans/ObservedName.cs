namespace Tracking.Api.TrackingPlans;

/// <summary>One name of one source's traffic (a track event, a page, a screen, or identify or group): how many events, when, and their properties' shape.</summary>
internal sealed class ObservedName(DateTimeOffset firstSeen)
{
    public long Events { get; set; }

    public DateTimeOffset FirstSeen { get; } = firstSeen;

    public DateTimeOffset LastSeen { get; set; } = firstSeen;

    /// <summary>The paths kept so far, bounded by <see cref="PlanDraftOptions.MaxPropertiesPerName"/>.</summary>
    public int Paths { get; set; }

    /// <summary>Values at paths not kept (past the cap, deeper than the depth kept, or a name too long).</summary>
    public long OmittedProperties { get; set; }

    /// <summary>The properties (or traits) object itself.</summary>
    public ObservedShape Root { get; } = new();
}
