using System.Net;
using MaxMind.Db;

namespace Tracking.Api.Enrichment.Locations;

/// <summary>
/// Addresses looked up in MaxMind-format databases, in order until one knows the address. Reads the GeoIP2/GeoLite2
/// City layout (<c>country.iso_code</c>, <c>subdivisions[0].names.en</c>, <c>city.names.en</c>,
/// <c>location.time_zone</c>) and ip-location-db's flat one (<c>country_code</c>, <c>state1</c>, <c>city</c>,
/// <c>timezone</c>). The files are memory-mapped, so the lookups share the page cache, not the heap.
/// </summary>
/// <remarks>
/// A database whose type names one of those two layouts is decoded into <see cref="MaxMindCityRecord"/> or
/// <see cref="FlatCityRecord"/>, reading only the members a location needs; any other (or one whose records turn out
/// not to fit its layout) is decoded into dictionaries, slower but never wrong about what it holds.
/// </remarks>
internal sealed class LocationLookup : IDisposable
{
    private readonly Reader[] _readers;
    private readonly RecordLayout[] _layouts;

    private LocationLookup(Reader[] readers, bool typed)
    {
        _readers = readers;
        _layouts = [.. readers.Select(r => typed ? LayoutOf(r.Metadata.DatabaseType) : RecordLayout.Dictionary)];
    }

    private enum RecordLayout
    {
        Dictionary,
        MaxMind,
        Flat,
    }

    // A file without a type (the field is required, but hand-made files lack it) is read as it is.
    private static RecordLayout LayoutOf(string? databaseType) =>
        databaseType is null ? RecordLayout.Dictionary
        : databaseType.StartsWith("GeoIP2-", StringComparison.Ordinal) || databaseType.StartsWith("GeoLite2-", StringComparison.Ordinal)
            || databaseType.StartsWith("DBIP-", StringComparison.Ordinal)
            ? RecordLayout.MaxMind
            : databaseType is "city ipv4" or "city ipv6" ? RecordLayout.Flat : RecordLayout.Dictionary;

    /// <summary>What is wrong with <paramref name="paths"/> (none given, a file missing or unreadable), or null when all open.</summary>
    public static string? Problem(IReadOnlyList<string> paths)
    {
        try
        {
            using var lookup = Open(paths);
            return null;
        }
        catch (IOException ex)
        {
            return ex.Message;
        }
    }

    /// <summary>Opens every database; throws <see cref="IOException"/> naming the first that is missing or unreadable.</summary>
    /// <param name="paths">The databases, asked in this order.</param>
    /// <param name="typed">False to decode every record into dictionaries (what the typed layouts are tested against).</param>
    public static LocationLookup Open(IReadOnlyList<string> paths, bool typed = true)
    {
        if (paths.Count == 0)
        {
            throw new IOException($"{EnrichmentOptions.Section}:LocationDatabases names no .mmdb file");
        }

        var readers = new List<Reader>();
        try
        {
            foreach (var path in paths)
            {
                if (!File.Exists(path))
                {
                    throw new IOException($"the location database '{path}' does not exist");
                }

                try
                {
                    readers.Add(new Reader(path, FileAccessMode.MemoryMapped));
                }
                catch (Exception ex) when (ex is InvalidDatabaseException or DeserializationException or IOException or UnauthorizedAccessException)
                {
                    // DeserializationException: metadata whose members are not of their types.
                    throw new IOException($"the location database '{path}' cannot be read as a MaxMind-format (.mmdb) file: {ex.Message}", ex);
                }
            }

            return new LocationLookup([.. readers], typed);
        }
        catch
        {
            readers.ForEach(r => r.Dispose());
            throw;
        }
    }

    /// <summary>The description of the databases for the start-up line: type and build date of each.</summary>
    public string Describe() =>
        string.Join(", ", _readers.Select(r => $"{r.Metadata.DatabaseType} of {r.Metadata.BuildDate:yyyy-MM-dd}"));

    /// <summary>Where <paramref name="address"/> is, or null when no database knows it (or it is not an address).</summary>
    public Location? Find(string address)
    {
        if (!IPAddress.TryParse(address, out var ip))
        {
            return null;
        }

        if (ip.IsIPv4MappedToIPv6)
        {
            ip = ip.MapToIPv4();
        }

        for (var i = 0; i < _readers.Length; i++)
        {
            var reader = _readers[i];

            // An IPv4-only file cannot hold IPv6 addresses: asking it would throw.
            if (ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 && reader.Metadata.IPVersion == 4)
            {
                continue;
            }

            Location? location;
            try
            {
                location = _layouts[i] switch
                {
                    RecordLayout.MaxMind => reader.Find<MaxMindCityRecord>(ip)?.ToLocation(),
                    RecordLayout.Flat => reader.Find<FlatCityRecord>(ip)?.ToLocation(),
                    _ => FindAsDictionary(reader, ip),
                };
            }
            catch (DeserializationException) when (_layouts[i] != RecordLayout.Dictionary)
            {
                // The record does not fit the layout the file's type names. When it reads as it is, the file does not
                // follow that layout: it is read as it is from now on. When it does not, only this record is broken.
                location = FindAsDictionary(reader, ip);
                if (location is not null)
                {
                    _layouts[i] = RecordLayout.Dictionary;
                }
            }
            catch (InvalidDatabaseException)
            {
                continue;
            }

            if (location is not null)
            {
                return location;
            }
        }

        return null;
    }

    /// <summary>The record decoded into dictionaries; null when there is none, or it is not a map (a broken record is no location, never a failed request).</summary>
    private static Location? FindAsDictionary(Reader reader, IPAddress ip)
    {
        try
        {
            return reader.Find<Dictionary<string, object>>(ip) is { } record ? Read(record) : null;
        }
        catch (Exception ex) when (ex is DeserializationException or InvalidDatabaseException)
        {
            return null;
        }
    }

    private static Location? Read(Dictionary<string, object> r)
    {
        var country = Text(r, "country_code") ?? Text(Child(r, "country"), "iso_code") ?? Text(Child(r, "registered_country"), "iso_code");
        var region = Text(r, "state1") ?? Text(Child(First(r, "subdivisions"), "names"), "en");
        var city = Text(r, "city") ?? Text(Child(Child(r, "city"), "names"), "en");
        var position = Child(r, "location");
        var timeZone = Text(r, "timezone") ?? Text(position, "time_zone");
        var latitude = Number(r, "latitude") ?? Number(position, "latitude");
        var longitude = Number(r, "longitude") ?? Number(position, "longitude");
        return Location.From(country, region, city, timeZone, latitude, longitude);
    }

    private static Dictionary<string, object>? Child(Dictionary<string, object>? r, string name) =>
        r is not null && r.TryGetValue(name, out var v) ? v as Dictionary<string, object> : null;

    private static Dictionary<string, object>? First(Dictionary<string, object> r, string name) =>
        r.TryGetValue(name, out var v) && v is List<object> { Count: > 0 } list ? list[0] as Dictionary<string, object> : null;

    private static string? Text(Dictionary<string, object>? r, string name) =>
        r is not null && r.TryGetValue(name, out var v) && v is string { Length: > 0 } s ? s : null;

    private static double? Number(Dictionary<string, object>? r, string name) =>
        r is not null && r.TryGetValue(name, out var v) ? v switch
        {
            double d => d,
            float f => f,
            _ => null,
        } : null;

    public void Dispose()
    {
        foreach (var reader in _readers)
        {
            reader.Dispose();
        }
    }
}
