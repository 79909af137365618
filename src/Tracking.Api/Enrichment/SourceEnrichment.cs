namespace Tracking.Api.Enrichment;

/// <summary>The enrichments in effect for one source, resolved once at start.</summary>
internal sealed record SourceEnrichment(bool Device, BotAction Bots, bool Campaign, bool Referrer, bool Location)
{
    /// <summary>True when the user agent has to be parsed or matched.</summary>
    public bool NeedsUserAgent => Device || Bots != BotAction.Off;

    /// <summary>True when any enrichment is on.</summary>
    public bool Any => NeedsUserAgent || NeedsPage || Location;

    /// <summary>True when <c>context.page</c> has to be read.</summary>
    public bool NeedsPage => Campaign || Referrer;
}
