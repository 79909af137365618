namespace Tracking.Api.Ingestion;

/// <summary>The source a request's write key maps to, once known.</summary>
/// <param name="Name">The source name stamped on each event.</param>
internal sealed record AuthenticatedSource(string Name);
