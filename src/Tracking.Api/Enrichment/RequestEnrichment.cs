using Tracking.Api.Enrichment.Devices;

namespace Tracking.Api.Enrichment;

/// <summary>What the enrichments take from one request, once for all its events: its source's switches and its client hints.</summary>
/// <param name="Plan">The enrichments on for the request's source.</param>
/// <param name="Hints">The request's <c>Sec-CH-UA-*</c> headers, which describe its <c>User-Agent</c> header; null when it sent none.</param>
/// <param name="PeerAddress">The client's address before any anonymizing, for the location lookup; null unless location is on.</param>
internal sealed record RequestEnrichment(SourceEnrichment Plan, ClientHints? Hints, string? PeerAddress = null);
