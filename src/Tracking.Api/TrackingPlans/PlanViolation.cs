namespace Tracking.Api.TrackingPlans;

/// <summary>
/// One way an event breaks its source's plan, as recorded in the event's top-level <c>violations</c> array
/// (<c>{"rule":…,"path":…,"message":…}</c>).
/// </summary>
/// <param name="Rule"><c>unplanned</c>, or the JSON Schema keyword that failed (<c>required</c>, <c>type</c>, <c>enum</c>, ...).</param>
/// <param name="Path">A JSON Pointer into the event to the value that failed (<c>/properties/price</c>); <c>/event</c> or <c>/name</c> for an unplanned one.</param>
/// <param name="Message">The schema's explanation, at most <see cref="MaxMessageLength"/> characters.</param>
internal readonly record struct PlanViolation(string Rule, string Path, string Message)
{
    /// <summary>The longest message kept: a schema's message may quote a whole enum.</summary>
    public const int MaxMessageLength = 300;
}
