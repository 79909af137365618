using Tracking.ServiceDefaults;

namespace Tracking.Api.Enrichment;

/// <summary>
/// What the API adds to each event's <c>context</c> at the door, from its user agent, page, referrer and address.
/// Bound to <c>Tracking:Enrichment</c>; every switch here is the default of all sources, and
/// <c>Tracking:Enrichment:Sources:&lt;source name&gt;</c> overrides it for one source (the names of
/// <c>Tracking:WriteKeys</c>). An enrichment never overwrites a member the client (or the batch) already set.
/// </summary>
internal sealed class EnrichmentOptions : IValidatedOptions
{
    public const string Section = "Tracking:Enrichment";

    /// <summary>The fewest entries a result cache may keep.</summary>
    public const int MinCacheEntries = 100;

    /// <summary>The most entries a result cache may keep.</summary>
    public const int MaxCacheEntries = 1_000_000;

    /// <summary>
    /// Browser, OS and device from the user agent (<c>context.userAgent</c>, else the <c>User-Agent</c> header) and its
    /// client hints into <c>context.browser</c>, <c>context.os</c> and <c>context.device</c>, with uap-core's patterns.
    /// Default <c>true</c>: it only fills what the SDK left out, so a mobile SDK's own <c>context.device</c> and
    /// <c>context.os</c> stay as they are.
    /// </summary>
    public bool Device { get; set; } = true;

    /// <summary>
    /// Known crawlers and monitors (crawler-user-agents' patterns) by the same user agent: <see cref="BotAction.Flag"/>
    /// sets <c>context.bot</c>; <see cref="BotAction.Refuse"/> answers 200 and stores nothing; <see cref="BotAction.Quarantine"/>
    /// sets <c>context.bot</c> and routes the event into the quarantine instead of the main stream; <see cref="BotAction.Off"/>
    /// looks at nothing. Either way they are counted (<c>tracking.events.bots</c>, <c>/status</c>). Default
    /// <see cref="BotAction.Flag"/>: refusing by default would silently lose the events of a monitor or a headless test
    /// someone relies on.
    /// </summary>
    public BotAction Bots { get; set; } = BotAction.Flag;

    /// <summary>
    /// The <c>utm_*</c> parameters and ad click ids (<c>gclid</c>, <c>fbclid</c>, <c>msclkid</c>, …) of
    /// <c>context.page.url</c>, else <c>context.page.search</c>, into <c>context.campaign</c> (<c>name</c>,
    /// <c>source</c>, <c>medium</c>, <c>term</c>, <c>content</c>, <c>id</c> and each click id by its own name), when the
    /// SDK did not fill it (analytics.js does; tracker.js does not). Default <c>true</c>.
    /// </summary>
    public bool Campaign { get; set; } = true;

    /// <summary>
    /// <c>context.page.referrer</c> classified into <c>context.referrer</c>: <c>medium</c> (<c>search</c>, <c>social</c>,
    /// <c>email</c>, <c>paid</c>, <c>internal</c> or <c>unknown</c>), <c>source</c> (<c>Google</c>, <c>Facebook</c>, …, when
    /// known) and <c>host</c>, with Snowplow's referer-parser table. Default <c>true</c>.
    /// </summary>
    public bool Referrer { get; set; } = true;

    /// <summary>
    /// Hosts whose referrals are <c>internal</c> besides the page's own host: <c>shop.example.com</c>, or
    /// <c>.example.com</c> for a domain and all its subdomains. Default: none.
    /// </summary>
    public List<string> InternalHosts { get; set; } = [];

    /// <summary>
    /// Country (ISO code), region, city and time zone of the client's address into <c>context.location</c>, from
    /// <see cref="LocationDatabases"/>; the address is looked up before it is anonymized
    /// (<c>Tracking:ClientIp:Anonymize</c>). Default <c>false</c>: it needs a database the operator provides, and a
    /// location is personal data some operators must not store.
    /// </summary>
    public bool Location { get; set; }

    /// <summary>
    /// MaxMind-format (<c>.mmdb</c>) City databases, asked in order until one knows the address: one file, or an IPv4
    /// and an IPv6 file. GeoIP2/GeoLite2 City and ip-location-db's City layouts are both read. Default: none.
    /// </summary>
    public List<string> LocationDatabases { get; set; } = [];

    /// <summary>
    /// A missing or unreadable database turns location off with a warning instead of refusing to start. Default
    /// <c>false</c>: an operator who asked for locations learns at once that there will be none.
    /// </summary>
    public bool LocationOptional { get; set; }

    /// <summary>Adds coarse <c>latitude</c>/<c>longitude</c> (rounded to 0.1°, about 11 km) to <c>context.location</c>. Default <c>false</c>.</summary>
    public bool LocationCoordinates { get; set; }

    /// <summary>True when location is on for the default or for any source.</summary>
    public bool LocationWanted => Location || Sources.Values.Any(s => s.Location == true);

    /// <summary>
    /// Entries each result cache keeps (user agents parsed, addresses looked up, referrers classified, campaign queries
    /// read); past it the cache starts over. Default 10,000; from
    /// <see cref="MinCacheEntries"/> to <see cref="MaxCacheEntries"/>.
    /// </summary>
    public int CacheEntries { get; set; } = 10_000;

    /// <summary>Per source (by the source names of <c>Tracking:WriteKeys</c>): the switches that differ from the defaults above. Default: none.</summary>
    public Dictionary<string, SourceEnrichmentOptions> Sources { get; set; } = new(StringComparer.Ordinal);

    /// <summary>What <see cref="EnrichmentSettings"/> found wrong in the settings as written; when any, nothing else was bound.</summary>
    internal List<string> SettingProblems { get; } = [];

    public IEnumerable<string> Validate()
    {
        foreach (var problem in SettingProblems)
        {
            yield return problem;
        }

        if (CacheEntries is < MinCacheEntries or > MaxCacheEntries)
        {
            yield return $"{Section}:CacheEntries is {CacheEntries}: it must be from {MinCacheEntries} to {MaxCacheEntries}.";
        }

        foreach (var host in InternalHosts)
        {
            if (string.IsNullOrWhiteSpace(host) || host.Contains('/', StringComparison.Ordinal) || host.Contains(':', StringComparison.Ordinal) || host == ".")
            {
                yield return $"{Section}:InternalHosts has '{host}': give a host name such as shop.example.com, or .example.com for a domain and its subdomains, without scheme, port or path.";
            }
        }

        if (LocationDatabases.Any(string.IsNullOrWhiteSpace))
        {
            yield return $"{Section}:LocationDatabases has an empty entry: give the path of an .mmdb file.";
        }
        else if (LocationWanted && !LocationOptional)
        {
            // Checked with the settings, so a bad database stops the start in one line before anything runs.
            if (Locations.LocationLookup.Problem(LocationDatabases) is { } problem)
            {
                yield return $"Location enrichment is on ({Section}:Location or a source's Location) but {problem}. Point {Section}:LocationDatabases at " +
                    $"readable MaxMind-format City databases, turn location off, or set {Section}:LocationOptional=true to run without locations.";
            }
        }

        if (!Enum.IsDefined(Bots))
        {
            yield return $"{Section}:Bots is {Bots}: it must be Off, Flag, Refuse or Quarantine.";
        }

        foreach (var (source, options) in Sources)
        {
            if (options.Bots is { } bots && !Enum.IsDefined(bots))
            {
                yield return $"{Section}:Sources:{source}:Bots is {bots}: it must be Off, Flag, Refuse or Quarantine.";
            }
        }
    }

    /// <summary>The switches in effect for <paramref name="source"/>: its own where set, else the defaults.</summary>
    public SourceEnrichment For(string source)
    {
        Sources.TryGetValue(source, out var own);
        return new SourceEnrichment(own?.Device ?? Device, own?.Bots ?? Bots, own?.Campaign ?? Campaign, own?.Referrer ?? Referrer, own?.Location ?? Location);
    }
}
