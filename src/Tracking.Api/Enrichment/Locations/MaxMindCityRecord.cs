using MaxMind.Db;

namespace Tracking.Api.Enrichment.Locations;

/// <summary>
/// The members of a GeoIP2/GeoLite2 City record (MaxMind's layout, also DB-IP's) that a location needs, decoded by
/// MaxMind.Db's source-generated reader: every other member, and every name but the English one, is skipped
/// unread, where decoding the record into dictionaries made an object for each of them.
/// </summary>
internal sealed class MaxMindCityRecord
{
    [MapKey("country")]
    public IsoCoded? Country { get; init; }

    [MapKey("registered_country")]
    public IsoCoded? RegisteredCountry { get; init; }

    [MapKey("subdivisions")]
    public IReadOnlyList<Named>? Subdivisions { get; init; }

    [MapKey("city")]
    public Named? City { get; init; }

    [MapKey("location")]
    public Position? Location { get; init; }

    /// <summary>The location this record gives, or null when it names no country, region or city.</summary>
    public Location? ToLocation()
    {
        var country = Text(Country?.IsoCode) ?? Text(RegisteredCountry?.IsoCode);
        var region = Subdivisions is [var first, ..] ? Text(first.Names?.English) : null;
        var city = Text(City?.Names?.English);
        return country is null && region is null && city is null
            ? null
            : new Location(country, region, city, Text(Location?.TimeZone), Location?.Latitude, Location?.Longitude);
    }

    private static string? Text(string? value) => string.IsNullOrEmpty(value) ? null : value;

    /// <summary>A country: its ISO 3166-1 code.</summary>
    internal sealed class IsoCoded
    {
        [MapKey("iso_code")]
        public string? IsoCode { get; init; }
    }

    /// <summary>A city or subdivision: its names, of which only the English one is read.</summary>
    internal sealed class Named
    {
        [MapKey("names")]
        public EnglishName? Names { get; init; }
    }

    /// <summary>The <c>names</c> map with only <c>en</c> read.</summary>
    internal sealed class EnglishName
    {
        [MapKey("en")]
        public string? English { get; init; }
    }

    /// <summary>The record's <c>location</c> map.</summary>
    internal sealed class Position
    {
        [MapKey("latitude")]
        public double? Latitude { get; init; }

        [MapKey("longitude")]
        public double? Longitude { get; init; }

        [MapKey("time_zone")]
        public string? TimeZone { get; init; }
    }
}
