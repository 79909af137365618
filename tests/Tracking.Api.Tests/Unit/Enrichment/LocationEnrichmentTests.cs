using Tracking.Api.Enrichment;
using static Tracking.Api.Tests.Unit.Enrichment.EnrichmentHarness;

namespace Tracking.Api.Tests.Unit.Enrichment;

public class LocationEnrichmentTests
{
    private static readonly EnrichmentHarness Harness = new(Options());

    private static EnrichmentOptions Options(bool coordinates = false) => new()
    {
        Device = false,
        Bots = BotAction.Off,
        Location = true,
        LocationDatabases = [GeoDatabase.IPv4, GeoDatabase.IPv6],
        LocationCoordinates = coordinates,
    };

    /// <summary>Addresses in ranges of the pinned database (2.3.2026061719), with what its records hold ("" for an empty field).</summary>
    public static TheoryData<string, string, string, string, string> Addresses => new()
    {
        { "81.2.69.160", "GB", "England", "Bracknell", "Europe/London" },
        { "80.130.10.10", "DE", "Bavaria", "Hof", "Europe/Berlin" },
        { "133.11.0.1", "JP", "Tokyo", "Tokyo", "Asia/Tokyo" },
        { "200.160.2.3", "BR", "Sao Paulo", "Sao Paulo", "America/Sao_Paulo" },
        { "41.203.64.1", "NG", "Lagos", "Lagos", "Africa/Lagos" },
        { "62.35.0.1", "FR", "Normandy", "Rouen", "Europe/Paris" },
        { "8.8.8.8", "US", "", "", "America/Chicago" },
        { "193.0.6.139", "NL", "", "", "Europe/Amsterdam" },
        { "2001:67c:2e8:22::c100:68b", "NL", "North Holland", "Amsterdam", "Europe/Amsterdam" },
        { "2a00:1450:4001:80b::200e", "DE", "Hesse", "Frankfurt am Main", "Europe/Berlin" },
        { "2001:4860:4860::8888", "US", "", "", "America/Chicago" },
    };

    [Theory]
    [MemberData(nameof(Addresses))]
    public void TheClientsAddressGivesCountryRegionCityAndTimeZone(string ip, string country, string region, string city, string timeZone)
    {
        var location = Harness.ContextOf(null, ip: ip)!["location"];

        Assert.Equal(country, At(location, "country"));
        Assert.Equal(region, At(location, "region") ?? "");
        Assert.Equal(city, At(location, "city") ?? "");
        Assert.Equal(timeZone, At(location, "timezone"));
        Assert.Null(location!["latitude"]);
    }

    [Theory]
    [InlineData("1.1.1.1")]
    [InlineData("203.0.113.7")]
    [InlineData("10.1.2.3")]
    [InlineData("127.0.0.1")]
    [InlineData("2001:db8::1")]
    public void AnAddressTheDatabaseDoesNotPlaceAddsNoLocation(string ip)
    {
        Assert.Null(Harness.ContextOf(null, ip: ip)!["location"]);
    }

    [Fact]
    public void CoordinatesAreAddedOnlyWhenEnabledAndCoarse()
    {
        var location = new EnrichmentHarness(Options(coordinates: true)).ContextOf(null, ip: "81.2.69.160")!["location"]!;

        Assert.Equal(51.4, location["latitude"]!.GetValue<double>());
        Assert.Equal(-0.8, location["longitude"]!.GetValue<double>());
    }

    [Fact]
    public void TheAddressIsLookedUpBeforeItIsAnonymized()
    {
        var harness = new EnrichmentHarness(Options(), new ClientIpOptions { Anonymize = true });

        var context = harness.ContextOf(null, ip: "81.2.69.160")!;

        Assert.Equal("81.2.69.0", At(context, "ip"));
        Assert.Equal("Bracknell", At(context, "location.city"));
    }

    [Fact]
    public void AServerSdksContextIpIsTheAddressLookedUp()
    {
        var harness = new EnrichmentHarness(Options(), new ClientIpOptions { Anonymize = true });

        var context = harness.ContextOf(null, """{"ip":"133.11.0.1"}""", ip: "81.2.69.160")!;

        Assert.Equal("Tokyo", At(context, "location.city"));
        Assert.Equal("133.11.0.0", At(context, "ip"));
    }

    [Fact]
    public void ALocationTheClientSetIsKept()
    {
        var context = Harness.ContextOf(null, """{"location":{"city":"Oslo"}}""", ip: "81.2.69.160")!;

        Assert.Equal("Oslo", At(context, "location.city"));
    }

    [Fact]
    public void LocationIsOffByDefault()
    {
        var context = new EnrichmentHarness(new EnrichmentOptions()).ContextOf(null, ip: "81.2.69.160")!;

        Assert.Null(context["location"]);
    }

    [Fact]
    public void AMissingDatabaseIsRefusedInTheSettingsNamingIt()
    {
        var options = new EnrichmentOptions { Location = true, LocationDatabases = ["/nowhere/GeoLite2-City.mmdb"] };

        var results = options.Validate().ToList();

        var error = Assert.Single(results);
        Assert.Contains("'/nowhere/GeoLite2-City.mmdb' does not exist", error, StringComparison.Ordinal);
        Assert.Contains("Tracking:Enrichment:LocationOptional=true", error, StringComparison.Ordinal);
    }

    [Fact]
    public void AFileThatIsNoMaxMindDatabaseIsRefusedNamingIt()
    {
        var path = Path.GetTempFileName();
        File.WriteAllText(path, "not a database");
        var options = new EnrichmentOptions { Sources = { ["web"] = new SourceEnrichmentOptions { Location = true } }, LocationDatabases = [path] };

        var error = Assert.Single(options.Validate());

        Assert.Contains($"'{path}' cannot be read as a MaxMind-format (.mmdb) file", error, StringComparison.Ordinal);
    }

    [Fact]
    public void AnOptionalMissingDatabaseTurnsLocationOffAndTheRestStaysOn()
    {
        var options = new EnrichmentOptions { Location = true, LocationOptional = true, LocationDatabases = ["/nowhere/GeoLite2-City.mmdb"] };
        Assert.Empty(options.Validate());

        var context = new EnrichmentHarness(options).ContextOf("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0", ip: "81.2.69.160")!;

        Assert.Null(context["location"]);
        Assert.Equal("Firefox", At(context, "browser.name"));
    }
}
