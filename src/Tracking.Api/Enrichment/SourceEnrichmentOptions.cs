namespace Tracking.Api.Enrichment;

/// <summary>
/// One source's enrichment switches, under <c>Tracking:Enrichment:Sources:&lt;source name&gt;</c>. Each one left
/// unset takes the default of <see cref="EnrichmentOptions"/>.
/// </summary>
internal sealed class SourceEnrichmentOptions
{
    /// <summary>See <see cref="EnrichmentOptions.Device"/>. Default: that setting.</summary>
    public bool? Device { get; set; }

    /// <summary>See <see cref="EnrichmentOptions.Bots"/>. Default: that setting.</summary>
    public BotAction? Bots { get; set; }

    /// <summary>See <see cref="EnrichmentOptions.Campaign"/>. Default: that setting.</summary>
    public bool? Campaign { get; set; }

    /// <summary>See <see cref="EnrichmentOptions.Referrer"/>. Default: that setting.</summary>
    public bool? Referrer { get; set; }

    /// <summary>See <see cref="EnrichmentOptions.Location"/>. Default: that setting.</summary>
    public bool? Location { get; set; }
}
