namespace Tracking.Api.Status;

/// <summary>Totals since the API started (Suppressed: events of a suppressed userId or anonymousId, answered 200 and not stored; <c>Bots</c>: the events of known crawlers and monitors by action, flagged or refused).</summary>
internal sealed record StatusTotals(
    long Accepted,
    IReadOnlyDictionary<string, long> Rejected,
    IReadOnlyDictionary<string, long> Refused,
    long Delivered,
    long Failed,
    long Recovered,
    long Dropped,
    long Suppressed,
    IReadOnlyDictionary<string, long> Bots)
{
    public long RejectedTotal => Rejected.Values.Sum();

    public long RefusedTotal => Refused.Values.Sum();
}
