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
    public Location? ToLocation() => Locations.Location.From(
        Country?.IsoCode is { Length: > 0 } country ? country : RegisteredCountry?.IsoCode,
        Subdivisions is [var first, ..] ? first.Names?.English : null,
        City?.Names?.English,
        Location?.TimeZone,
        Location?.Latitude,
        Location?.Longitude);

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
