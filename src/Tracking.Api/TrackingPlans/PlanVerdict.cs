namespace Tracking.Api.TrackingPlans;

/// <summary>What the source's plan made of one event.</summary>
internal enum PlanVerdict
{
    /// <summary>No plan, or the event keeps to it: into the main stream unchanged.</summary>
    Pass,

    /// <summary>It breaks the plan and the source flags: into the main stream with its <c>violations</c>.</summary>
    Flagged,

    /// <summary>It breaks the plan and the source blocks: into the quarantine with its <c>violations</c>.</summary>
    Quarantined,
}
