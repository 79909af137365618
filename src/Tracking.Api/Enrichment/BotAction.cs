namespace Tracking.Api.Enrichment;

/// <summary>What happens to an event whose user agent is a known crawler or monitor.</summary>
internal enum BotAction
{
    /// <summary>Nothing is looked at.</summary>
    Off,

    /// <summary><c>context.bot</c> is set (<c>{"name": …, "url": …}</c>) and the event is stored.</summary>
    Flag,

    /// <summary>The event is answered 200 (so no SDK sends it again), counted and not stored.</summary>
    Refuse,

    /// <summary>
    /// <c>context.bot</c> is set and the event is routed away from the main stream into the quarantine a tracking
    /// plan's Block mode uses (<c>quarantine.ndjson</c>), answered 200; the operator lists, re-admits or discards it
    /// through the same admin endpoints.
    /// </summary>
    Quarantine,
}
