namespace Tracking.Api.Ingestion;

/// <summary>A refused message: where it was, why, and the field errors the answer lists.</summary>
internal sealed record Rejection(int Index, RejectionKind Kind, Dictionary<string, string[]> Errors);
