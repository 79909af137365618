namespace Tracking.Api.TrackingPlans;

/// <summary>What a plan does with an event whose name it does not list, in a section it has (plan key <c>unplanned</c>).</summary>
internal enum UnplannedAction
{
    /// <summary>Accept it unchecked and unmarked (<c>allow</c>). The default, so a plan can start small.</summary>
    Allow,

    /// <summary>Treat it as a violation with the rule <c>unplanned</c> (<c>violation</c>): recorded, or quarantined under <see cref="PlanMode.Block"/>.</summary>
    Violation,
}
