using MaxMind.Db;

namespace Tracking.Api.Enrichment.Locations;

/// <summary>
/// A record of ip-location-db's City builds (<c>database_type</c> "city ipv4"/"city ipv6"): flat members, decoded by
/// MaxMind.Db's source-generated reader, the members a location does not use skipped unread.
/// </summary>
internal sealed class FlatCityRecord
{
    [MapKey("country_code")]
    public string? CountryCode { get; init; }

    [MapKey("state1")]
    public string? State { get; init; }

    [MapKey("city")]
    public string? City { get; init; }

    [MapKey("timezone")]
    public string? TimeZone { get; init; }

    [MapKey("latitude")]
    public float? Latitude { get; init; }

    [MapKey("longitude")]
    public float? Longitude { get; init; }

    /// <summary>The location this record gives, or null when it names no country, region or city.</summary>
    public Location? ToLocation() => Location.From(CountryCode, State, City, TimeZone, Latitude, Longitude);
}
