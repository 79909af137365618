namespace Tracking.Api.Enrichment.Locations;

/// <summary>Where an address is, as far as the database says.</summary>
internal sealed record Location(string? Country, string? Region, string? City, string? TimeZone, double? Latitude, double? Longitude)
{
    /// <summary>The location a record's fields give (an empty string is no value), or null when they name no country, region or city.</summary>
    public static Location? From(string? country, string? region, string? city, string? timeZone, double? latitude, double? longitude)
    {
        country = Text(country);
        region = Text(region);
        city = Text(city);
        return country is null && region is null && city is null ? null : new Location(country, region, city, Text(timeZone), latitude, longitude);
    }

    private static string? Text(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
