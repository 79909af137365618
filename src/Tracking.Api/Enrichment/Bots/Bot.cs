namespace Tracking.Api.Enrichment.Bots;

/// <summary>A known crawler: the part of the user agent that names it, and the list's link about it.</summary>
internal sealed record Bot(string Name, string? Url);
