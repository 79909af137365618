namespace Tracking.Api.Enrichment;

/// <summary>The enrichments in effect for one source, resolved once at start.</summary>
internal sealed record SourceEnrichment(bool Device)
{
    /// <summary>True when the user agent has to be parsed or matched.</summary>
    public bool NeedsUserAgent => Device;

    /// <summary>True when any enrichment is on.</summary>
    public bool Any => NeedsUserAgent;
}
