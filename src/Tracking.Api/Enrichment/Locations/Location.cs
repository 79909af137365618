namespace Tracking.Api.Enrichment.Locations;

/// <summary>Where an address is, as far as the database says.</summary>
internal sealed record Location(string? Country, string? Region, string? City, string? TimeZone, double? Latitude, double? Longitude);
