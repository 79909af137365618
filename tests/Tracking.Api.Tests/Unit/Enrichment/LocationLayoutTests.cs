using Tracking.Api.Enrichment.Locations;

namespace Tracking.Api.Tests.Unit.Enrichment;

/// <summary>
/// Both record layouts the lookup decodes into types (MaxMind's GeoIP2 City layout, ip-location-db's flat one), on the
/// real databases: what they give, and that it is exactly what decoding the same records into dictionaries gives.
/// </summary>
public sealed class LocationLayoutTests : IDisposable
{
    private readonly LocationLookup _maxMind = LocationLookup.Open([GeoDatabase.MaxMindCity]);
    private readonly LocationLookup _flat = LocationLookup.Open([GeoDatabase.IPv4, GeoDatabase.IPv6]);

    public void Dispose()
    {
        _maxMind.Dispose();
        _flat.Dispose();
    }

    [Fact]
    public void TheDatabasesAreReadInTheirOwnLayouts()
    {
        Assert.Equal("GeoLite2-City of 2026-09-18", _maxMind.Describe());
        Assert.Equal("city ipv4 of 2026-06-17, city ipv6 of 2026-06-17", _flat.Describe());
    }

    /// <summary>Addresses in ranges of the pinned GeoLite2-City.mmdb (geolite2-city 1.0.101), with what its records hold ("" for none).</summary>
    public static TheoryData<string, string, string, string, string> MaxMindAddresses => new()
    {
        { "81.2.69.160", "GB", "England", "East Finchley", "Europe/London" },
        { "80.130.10.10", "DE", "Bavaria", "Hof", "Europe/Berlin" },
        { "133.11.0.1", "JP", "Tokyo", "Tokyo", "Asia/Tokyo" },
        { "200.160.2.3", "BR", "São Paulo", "São Paulo", "America/Sao_Paulo" },
        { "41.203.64.1", "NG", "", "", "Africa/Lagos" },
        { "62.35.0.1", "FR", "Normandy", "Rouen", "Europe/Paris" },
        { "8.8.8.8", "US", "", "", "America/Chicago" },
        { "2001:67c:2e8:22::c100:68b", "NL", "North Holland", "Amsterdam", "Europe/Amsterdam" },
        { "2a00:1450:4001:80b::200e", "DE", "Hesse", "Frankfurt am Main", "Europe/Berlin" },
    };

    [Theory]
    [MemberData(nameof(MaxMindAddresses))]
    public void MaxMindsLayoutGivesCountryTheFirstSubdivisionCityAndTimeZone(string ip, string country, string region, string city, string timeZone)
    {
        var location = _maxMind.Find(ip)!;

        Assert.Equal(country, location.Country);
        Assert.Equal(region, location.Region ?? "");
        Assert.Equal(city, location.City ?? "");
        Assert.Equal(timeZone, location.TimeZone);
        Assert.NotNull(location.Latitude);
        Assert.NotNull(location.Longitude);
    }

    [Fact]
    public void ARecordWithOnlyACountryGivesTheCountry()
    {
        // MaxMind's file places 1.1.1.1 in a country and nothing finer; ip-location-db's build leaves it out.
        Assert.Equal(new Location("AU", null, null, null, null, null), _maxMind.Find("1.1.1.1"));
        Assert.Null(_flat.Find("1.1.1.1"));
    }

    [Theory]
    [InlineData("203.0.113.7")]
    [InlineData("10.1.2.3")]
    [InlineData("2001:db8::1")]
    [InlineData("not an address")]
    public void AnAddressNoRecordPlacesGivesNothingInEitherLayout(string ip)
    {
        Assert.Null(_maxMind.Find(ip));
        Assert.Null(_flat.Find(ip));
    }

    [Fact]
    public void AFileWithoutADatabaseTypeIsReadAsItIs()
    {
        var path = HandMadeMmdb.Write(new Dictionary<string, object> { ["country_code"] = "NO", ["city"] = "Oslo" }, databaseType: null);

        Assert.Null(LocationLookup.Problem([path]));
        using var lookup = LocationLookup.Open([path]);
        Assert.Equal(new Location("NO", null, "Oslo", null, null, null), lookup.Find("81.2.69.160"));
    }

    [Fact]
    public void MetadataOfTheWrongTypeIsARefusalNamingTheFileNotACrash()
    {
        var path = HandMadeMmdb.Write(new Dictionary<string, object> { ["city"] = "Oslo" }, databaseType: 7);

        Assert.Contains($"the location database '{path}' cannot be read as a MaxMind-format (.mmdb) file", LocationLookup.Problem([path]), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("GeoLite2-City")]
    [InlineData("city ipv4")]
    [InlineData("Other")]
    public void ARecordThatIsNoMapIsNoLocationNeverAFailure(string databaseType)
    {
        var path = HandMadeMmdb.Write("hello", databaseType);
        using var lookup = LocationLookup.Open([path, GeoDatabase.IPv4]);

        // The broken record is passed over, the next database asked, and the first file keeps its layout.
        Assert.Equal("Bracknell", lookup.Find("81.2.69.160")?.City);
        Assert.Equal("Hof", lookup.Find("80.130.10.10")?.City);
    }

    [Fact]
    public void AMutatedDatabaseIsARefusalOrLookupsWithoutAnswersNeverACrash()
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("FUZZ_SEED"), out var fixedSeed) ? fixedSeed : Random.Shared.Next();
        var random = new Random(seed);
        var record = new Dictionary<string, object>
        {
            ["country"] = new Dictionary<string, object> { ["iso_code"] = "NO" },
            ["subdivisions"] = new List<object> { new Dictionary<string, object> { ["names"] = new Dictionary<string, object> { ["en"] = "Oslo" } } },
            ["city"] = new Dictionary<string, object> { ["names"] = new Dictionary<string, object> { ["en"] = "Oslo", ["de"] = "Oslo" } },
            ["location"] = new Dictionary<string, object> { ["latitude"] = 59.9, ["longitude"] = 10.7, ["time_zone"] = "Europe/Oslo" },
        };
        var original = File.ReadAllBytes(HandMadeMmdb.Write(record, "GeoLite2-City"));
        var unexpected = new List<string>();

        for (var round = 0; round < 300; round++)
        {
            var bytes = (byte[])original.Clone();
            for (var flips = random.Next(1, 4); flips > 0; flips--)
            {
                bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
            }

            var path = Path.Combine(Path.GetTempPath(), $"mutated-{seed}-{round}.mmdb");
            File.WriteAllBytes(path, bytes);
            try
            {
                // A start either refuses the file in one line or opens it; a lookup answers or finds nothing.
                if (LocationLookup.Problem([path]) is null)
                {
                    using var lookup = LocationLookup.Open([path]);
                    _ = lookup.Find("81.2.69.160");
                    _ = lookup.Find("203.0.113.7");
                    _ = lookup.Find("::ffff:1.2.3.4");
                }
            }
            catch (Exception ex)
            {
                unexpected.Add($"round {round}: {ex.GetType().Name}: {ex.Message}");
            }
            finally
            {
                File.Delete(path);
            }
        }

        Assert.True(unexpected.Count == 0, $"seed {seed} (FUZZ_SEED={seed} to replay): {unexpected.Count} mutated files threw, first: {unexpected.FirstOrDefault()}");
    }

    [Fact]
    public void EveryAddressGivesWhatTheRecordDecodedIntoDictionariesGives()
    {
        using var maxMindAsDictionaries = LocationLookup.Open([GeoDatabase.MaxMindCity], typed: false);
        using var flatAsDictionaries = LocationLookup.Open([GeoDatabase.IPv4, GeoDatabase.IPv6], typed: false);
        var random = new Random(19);
        var placed = 0;

        foreach (var ip in Addresses(random, 4_000))
        {
            var typed = _maxMind.Find(ip);
            Assert.Equal(maxMindAsDictionaries.Find(ip), typed);
            Assert.Equal(flatAsDictionaries.Find(ip), _flat.Find(ip));
            placed += typed is null ? 0 : 1;
        }

        // Most public addresses are in the databases: the comparison was of locations, not of two nulls.
        Assert.InRange(placed, 2_000, 4_000);
    }

    /// <summary>Random public IPv4 addresses, and IPv6 addresses in the global unicast range, three to one; and their IPv4-mapped forms.</summary>
    private static IEnumerable<string> Addresses(Random random, int count)
    {
        for (var i = 0; i < count; i++)
        {
            if (i % 4 == 3)
            {
                var bytes = new byte[16];
                random.NextBytes(bytes);
                bytes[0] = (byte)(0x20 | (bytes[0] & 0x0F));
                yield return new System.Net.IPAddress(bytes).ToString();
            }
            else
            {
                var v4 = $"{random.Next(1, 224)}.{random.Next(256)}.{random.Next(256)}.{random.Next(1, 255)}";
                yield return i % 16 == 5 ? $"::ffff:{v4}" : v4;
            }
        }
    }
}
