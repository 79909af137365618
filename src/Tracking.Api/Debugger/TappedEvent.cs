namespace Tracking.Api.Debugger;

/// <summary>
/// An accepted event or a refusal as the debugger shows it: its id (this process's random prefix and the event's number since it
/// started, so a page that reconnects to a restarted API does not take new events for ones it has shown), its JSON (the enriched
/// event, or a <see cref="RefusedMessage"/>), which of the two it is, and whether an accepted event went to the tracking plans' quarantine.
/// </summary>
internal readonly record struct TappedEvent(string Id, byte[] Json, bool Refused, bool Quarantined = false);
