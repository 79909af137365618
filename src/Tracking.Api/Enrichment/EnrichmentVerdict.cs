namespace Tracking.Api.Enrichment;

/// <summary>Where the enrichment sends an event: on into the main stream, nowhere, or into the quarantine.</summary>
internal enum EnrichmentVerdict
{
    /// <summary>Stored as any other event.</summary>
    Store,

    /// <summary>Answered 200 and stored nowhere (a bot its source refuses).</summary>
    Drop,

    /// <summary>Answered 200 and kept out of the main stream, in the quarantine (a bot its source routes away).</summary>
    Quarantine,
}
