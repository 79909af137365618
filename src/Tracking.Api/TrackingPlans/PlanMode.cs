namespace Tracking.Api.TrackingPlans;

/// <summary>What a source does with an event that breaks its plan (<c>Tracking:TrackingPlans:&lt;source&gt;:Mode</c>).</summary>
internal enum PlanMode
{
    /// <summary>Accept it into the main stream with its violations recorded in the event's <c>violations</c> array. The default.</summary>
    Flag,

    /// <summary>Accept it (200, so SDKs do not retry) but keep it out of the main stream, in the quarantine, with its violations recorded.</summary>
    Block,
}
