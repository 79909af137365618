namespace Tracking.Api.Enrichment;

/// <summary>What the server knows about a request, computed once and stamped on each of its events.</summary>
/// <param name="ReceivedAt">The server clock when the request was read.</param>
/// <param name="ClientIp">The client's address (already anonymized when configured), or null when unknown.</param>
/// <param name="UserAgent">The request's <c>User-Agent</c> header, if any.</param>
/// <param name="SourceName">The source the write key maps to.</param>
/// <param name="TraceParent">The request span's W3C traceparent while tracing is on, stamped last on each event; otherwise null.</param>
/// <param name="Enrichment">What <see cref="ContextEnrichment"/> adds to this request's events; null when its source has every enrichment off.</param>
internal readonly record struct RequestMetadata(DateTimeOffset ReceivedAt, string? ClientIp, string? UserAgent, string SourceName, string? TraceParent = null, RequestEnrichment? Enrichment = null);
