using System.Buffers;
using System.Runtime.InteropServices;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Tracking.Api.Enrichment.Bots;
using Tracking.Api.Enrichment.Campaigns;
using Tracking.Api.Enrichment.Devices;
using Tracking.Api.Enrichment.Locations;
using Tracking.Api.Enrichment.Referrers;
using Tracking.Api.Ingestion;
using Tracking.Api.Telemetry;
using Tracking.ServiceDefaults;

namespace Tracking.Api.Enrichment;

/// <summary>
/// The enrichments of <see cref="EnrichmentOptions"/>: for one message, the <c>context</c> members to add, each only
/// where the client's context (or the batch's) has none. The pattern data is loaded once at start for the
/// enrichments some source uses; results per distinct user agent are cached (bounded), so a repeated user agent
/// costs a dictionary read, and a batch that repeats one user agent costs a byte comparison.
/// </summary>
internal sealed partial class ContextEnrichment : IHostedService, IDisposable
{
    private static readonly byte[] NoLocation = [];

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true };

    private readonly Dictionary<string, RequestEnrichment?> _bySource = new(StringComparer.Ordinal);
    private readonly RequestEnrichment? _default;
    private readonly UserAgentParser? _userAgents;
    private readonly BotDetector? _bots;
    private readonly ReferrerClassifier? _referrers;
    private readonly TrackingMetrics? _metrics;
    private readonly BoundedCache<UserAgentEntry> _userAgentCache;
    private readonly LocationLookup? _locations;
    private readonly BoundedCache<byte[]> _locationCache;
    private readonly BoundedCache<byte[]?> _campaignCache;
    private readonly bool _coordinates;

    public ContextEnrichment(IOptions<EnrichmentOptions> options, TrackingMetrics metrics, ILogger<ContextEnrichment> logger)
        : this(options.Value, EnrichmentData.Folder, logger, metrics)
    {
    }

    /// <summary>Loads what the configured enrichments need from <paramref name="dataFolder"/>; a missing file stops the start, naming it.</summary>
    internal ContextEnrichment(EnrichmentOptions options, string dataFolder, ILogger logger, TrackingMetrics? metrics = null)
    {
        _metrics = metrics;
        _userAgentCache = new BoundedCache<UserAgentEntry>(options.CacheEntries);
        _locationCache = new BoundedCache<byte[]>(options.CacheEntries);
        _campaignCache = new BoundedCache<byte[]?>(options.CacheEntries);
        _coordinates = options.LocationCoordinates;
        var plans = options.Sources.Keys.Select(options.For).Append(options.For("")).ToList();
        if (plans.Any(p => p.Device))
        {
            using var yaml = new StreamReader(EnrichmentData.Open(dataFolder, EnrichmentData.UserAgentPatterns, nameof(EnrichmentOptions.Device)));
            _userAgents = UserAgentParser.Load(yaml);
        }

        if (plans.Any(p => p.Bots != BotAction.Off))
        {
            using var json = EnrichmentData.Open(dataFolder, EnrichmentData.BotPatterns, nameof(EnrichmentOptions.Bots));
            _bots = BotDetector.Load(json);
        }

        if (plans.Any(p => p.Referrer))
        {
            using var json = EnrichmentData.Open(dataFolder, EnrichmentData.Referrers, nameof(EnrichmentOptions.Referrer));
            _referrers = ReferrerClassifier.Load(json, options.InternalHosts, options.CacheEntries);
        }

        var locationOff = false;
        if (plans.Any(p => p.Location))
        {
            try
            {
                _locations = LocationLookup.Open(options.LocationDatabases);
                LogLocations(logger, _locations.Describe());
            }
            catch (IOException ex) when (options.LocationOptional)
            {
                LogLocationOff(logger, ex.Message);
                locationOff = true;
            }
            catch (IOException ex)
            {
                // Validation has opened the files already; this is a file that went away in between.
                throw new StartRefusedException($"Location enrichment is on but {ex.Message}.", ex);
            }
        }

        SourceEnrichment Effective(SourceEnrichment p) => locationOff ? p with { Location = false } : p;
        _default = Request(Effective(options.For("")));
        foreach (var source in options.Sources.Keys)
        {
            _bySource[source] = Request(Effective(options.For(source)));
        }

        LogLoaded(logger, Describe(options.For("")), _userAgents?.PatternCount ?? 0, _bots?.PatternCount ?? 0, _referrers?.Count ?? 0,
            options.Sources.Count == 0 ? "none" : string.Join("; ", options.Sources.Keys.Select(s => $"{s}: {Describe(options.For(s))}")));
    }

    /// <summary>The enrichments in effect for <paramref name="source"/>; null when all are off.</summary>
    public SourceEnrichment? For(string source) => (_bySource.TryGetValue(source, out var request) ? request : _default)?.Plan;

    /// <summary>What the enrichments take from <paramref name="http"/> for its events; null when its source has them all off.</summary>
    public RequestEnrichment? Describe(HttpContext http, string source)
    {
        var request = _bySource.TryGetValue(source, out var own) ? own : _default;
        if (request is null)
        {
            return null;
        }

        var hints = request.Plan.NeedsUserAgent ? ClientHints.FromHeaders(http.Request.Headers) : null;
        var peer = request.Plan.Location && http.Connection.RemoteIpAddress is { } address
            ? (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address).ToString()
            : null;
        return hints is null && peer is null ? request : request with { Hints = hints, PeerAddress = peer };
    }

    /// <summary>
    /// Fills <see cref="Work.Additions"/> with what <paramref name="m"/>'s context gains, and says where the message goes.
    /// </summary>
    public EnrichmentVerdict Collect(IncomingMessage m, ParsedRequest parsed, in RequestMetadata meta, RequestEnrichment request, Work work)
    {
        var plan = request.Plan;
        var verdict = EnrichmentVerdict.Store;
        work.Clear();
        var facts = default(ContextFacts);
        facts.Scan(m.Context);
        if (parsed.SharedContext is { } shared)
        {
            facts.Fill(shared);
        }

        if (plan.NeedsUserAgent && UserAgentOf(ref facts, meta, request, work) is { } entry)
        {
            if (entry.Bot is not null && plan.Bots != BotAction.Off)
            {
                _metrics?.Bot(meta.SourceName, BotOutcome(plan.Bots));
                if (plan.Bots == BotAction.Refuse)
                {
                    return EnrichmentVerdict.Drop;
                }

                verdict = plan.Bots == BotAction.Quarantine ? EnrichmentVerdict.Quarantine : EnrichmentVerdict.Store;
                AddUnlessPresent(work, ref facts, ContextMember.Bot, ContextName.Bot, entry.Bot);
            }

            if (plan.Device)
            {
                AddDevice(work, ref facts, entry);
            }
        }

        if (plan.NeedsPage && !facts.Page.IsEmpty && PageOf(facts.Page, plan, work) is { } page)
        {
            AddUnlessPresent(work, ref facts, ContextMember.Campaign, ContextName.Campaign, plan.Campaign ? page.Campaign : null);
            AddUnlessPresent(work, ref facts, ContextMember.Referrer, ContextName.Referrer, plan.Referrer ? page.Referrer : null);
        }

        if (plan.Location && !facts.Has(ContextMember.Location))
        {
            // The client's own context.ip (a server-side SDK's), as sent: the anonymizing happens when it is written.
            if (!facts.Ip.IsEmpty && TryCached(_locationCache, facts.Ip.Span, out var known))
            {
                if (known.Length > 0)
                {
                    work.Add(ContextAddition.Of(ContextName.Location, known));
                }
            }
            else
            {
                var address = facts.Ip.IsEmpty ? request.PeerAddress : JsonString(facts.Ip.Span);
                if (address is not null && _locationCache.GetOrAdd(address, EncodeLocation) is { Length: > 0 } location)
                {
                    work.Add(ContextAddition.Of(ContextName.Location, location));
                }
            }
        }

        return verdict;
    }

    /// <summary>The <c>action</c> a bot's event is counted under.</summary>
    private static string BotOutcome(BotAction action) => action switch
    {
        BotAction.Refuse => "refused",
        BotAction.Quarantine => "quarantined",
        _ => "flagged",
    };

    /// <summary>What a <c>context.page</c> gives; a batch whose messages share one page reads it once.</summary>
    private PageEntry? PageOf(ReadOnlyMemory<byte> json, SourceEnrichment plan, Work work)
    {
        if (work.LastPageEntry is { } last && json.Span.SequenceEqual(work.LastPage.Span))
        {
            return last;
        }

        var page = PageFacts.Read(json.Span, ref work.PageText);
        byte[]? campaign = null;
        if (plan.Campaign)
        {
            var query = CampaignParser.QueryOf(page.Url.Span);
            if (query.IsEmpty || !CampaignParser.Names(query))
            {
                query = CampaignParser.QueryOf(page.Search.Span);
            }

            if (!query.IsEmpty)
            {
                campaign = CampaignOf(query, work);
            }
        }

        byte[]? referrer = null;
        if (plan.Referrer && !page.Referrer.IsEmpty && _referrers!.Classify(page.Referrer.Span, page.Url.Span) is { } classified)
        {
            referrer = classified.Json;
        }

        var entry = new PageEntry(campaign, referrer);
        work.LastPage = json;
        work.LastPageEntry = entry;
        return entry;
    }

    /// <summary>The <c>context.campaign</c> of a query; a query seen before (a campaign's landing page) is parsed once.</summary>
    private byte[]? CampaignOf(ReadOnlySpan<char> query, Work work)
    {
        var cacheable = query.Length <= Referrers.ReferrerClassifier.MaxCachedLength;
        if (cacheable && _campaignCache.TryGet(query, out var known))
        {
            return known;
        }

        var writer = work.Begin();
        var campaign = CampaignParser.TryWrite(query, writer) ? work.End() : null;
        if (cacheable)
        {
            _campaignCache.GetOrAdd(query.ToString(), _ => campaign);
        }

        return campaign;
    }

    private static void AddDevice(Work work, ref ContextFacts facts, UserAgentEntry entry)
    {
        AddUnlessPresent(work, ref facts, ContextMember.Device, ContextName.Device, entry.Device);
        AddUnlessPresent(work, ref facts, ContextMember.Os, ContextName.Os, entry.Os);
        AddUnlessPresent(work, ref facts, ContextMember.Browser, ContextName.Browser, entry.Browser);
    }

    /// <summary>Nothing to start: registered as a hosted service so its data is loaded, or its refusal reported, when the API starts rather than at the first event.</summary>
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose() => _locations?.Dispose();

    private byte[] EncodeLocation(string address)
    {
        if (_locations!.Find(address) is not { } l)
        {
            return NoLocation;
        }

        return Encode(w =>
        {
            w.WriteStartObject();
            WriteIf(w, "country", l.Country);
            WriteIf(w, "region", l.Region);
            WriteIf(w, "city", l.City);
            WriteIf(w, "timezone", l.TimeZone);
            if (_coordinates && l.Latitude is { } latitude && l.Longitude is { } longitude)
            {
                w.WriteNumber("latitude", Math.Round(latitude, 1));
                w.WriteNumber("longitude", Math.Round(longitude, 1));
            }

            w.WriteEndObject();
        });
    }

    private static void AddUnlessPresent(Work work, ref ContextFacts facts, ContextMember member, ContextName name, byte[]? value)
    {
        if (value is not null && !facts.Has(member))
        {
            work.Add(ContextAddition.Of(name, value));
        }
    }

    /// <summary>
    /// The client's own user agent (its context's, else the batch's) with its <c>userAgentData</c>, else the request's
    /// header with its client hints; parsed once per distinct text.
    /// </summary>
    private UserAgentEntry? UserAgentOf(ref ContextFacts facts, in RequestMetadata meta, RequestEnrichment request, Work work)
    {
        if (facts.UserAgent.IsEmpty)
        {
            if (meta.UserAgent is not { Length: > 0 } header)
            {
                return null;
            }

            return work.HeaderEntry ??= Parse(header, request.Hints);
        }

        // Most batches carry one user agent many times: compared as bytes, it is looked up once per request.
        if (work.LastEntry is { } last && facts.UserAgent.Span.SequenceEqual(work.LastUserAgent.Span) && facts.UserAgentData.Span.SequenceEqual(work.LastUserAgentData.Span))
        {
            return last;
        }

        UserAgentEntry entry;
        if (facts.UserAgentData.IsEmpty && TryCached(_userAgentCache, facts.UserAgent.Span, out var cached))
        {
            entry = cached;
        }
        else if (JsonString(facts.UserAgent.Span) is not { Length: > 0 } text)
        {
            return null;
        }
        else
        {
            entry = Parse(text, facts.UserAgentData.IsEmpty ? null : ClientHints.FromUserAgentData(facts.UserAgentData.Span));
        }

        // Slices of the request's body, which outlives this request's Work: remembered without copying.
        work.LastUserAgent = facts.UserAgent;
        work.LastUserAgentData = facts.UserAgentData;
        work.LastEntry = entry;
        return entry;
    }

    private UserAgentEntry Parse(string userAgent, ClientHints? hints)
    {
        // Only the start is ever read: keyed by it, a flood of long user agents cannot grow the cache past its count times that.
        if (userAgent.Length > UserAgentParser.MaxLength)
        {
            userAgent = userAgent[..UserAgentParser.MaxLength];
        }

        return _userAgentCache.GetOrAdd(hints is null ? userAgent : userAgent + "\n" + hints.Key, _ => Encode(userAgent, hints));
    }

    private UserAgentEntry Encode(string userAgent, ClientHints? hints)
    {
        var details = _userAgents?.Parse(userAgent);
        var bot = _bots?.Find(userAgent);
        if (details is not null && hints is not null)
        {
            details = hints.Apply(details);
        }

        return new UserAgentEntry(
            details?.Device is { } d ? Encode(w =>
            {
                w.WriteStartObject();
                WriteIf(w, "manufacturer", d.V1);
                WriteIf(w, "model", d.V2);
                WriteIf(w, "name", d.Family);
                w.WriteEndObject();
            }) : null,
            details?.Os is { } o ? Encode(w => WritePart(w, o)) : null,
            details?.Browser is { } b ? Encode(w => WritePart(w, b)) : null,
            bot is null ? null : Encode(w =>
            {
                w.WriteStartObject();
                w.WriteString("name", bot.Name);
                WriteIf(w, "url", bot.Url);
                w.WriteEndObject();
            }));
    }

    private static void WritePart(Utf8JsonWriter w, Part part)
    {
        w.WriteStartObject();
        WriteIf(w, "name", part.Family);
        WriteIf(w, "version", part.Version);
        w.WriteEndObject();
    }

    private static void WriteIf(Utf8JsonWriter w, string name, string? value)
    {
        if (value is not null)
        {
            w.WriteString(name, value);
        }
    }

    private static byte[] Encode(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var w = new Utf8JsonWriter(buffer, WriterOptions))
        {
            write(w);
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// The entry <paramref name="cache"/> keeps for the text of the JSON string <paramref name="token"/>, found without
    /// allocating its string: the usual case, a user agent or an address seen before. False for a miss, or for a
    /// token with escapes (those take the string path).
    /// </summary>
    private static bool TryCached<T>(BoundedCache<T> cache, ReadOnlySpan<byte> token, out T value)
    {
        value = default!;
        if (token.Length < 3 || token.Length > 2 * UserAgentParser.MaxLength || token[0] != (byte)'"' || token[^1] != (byte)'"')
        {
            return false;
        }

        var text = token[1..^1];
        if (text.Contains((byte)'\\'))
        {
            return false;
        }

        Span<char> chars = stackalloc char[text.Length];
        var length = System.Text.Encoding.UTF8.GetChars(text, chars);
        return cache.TryGet(chars[..length], out value);
    }

    /// <summary>The text of a JSON string token; null for any other token.</summary>
    internal static string? JsonString(ReadOnlySpan<byte> token)
    {
        var reader = new Utf8JsonReader(token);
        return reader.Read() && reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
    }

    private static RequestEnrichment? Request(SourceEnrichment plan) => plan.Any ? new RequestEnrichment(plan, null) : null;

    private static string Describe(SourceEnrichment p) =>
        $"device {(p.Device ? "on" : "off")}, bots {p.Bots.ToString().ToLowerInvariant()}, campaign {(p.Campaign ? "on" : "off")}, referrer {(p.Referrer ? "on" : "off")}, location {(p.Location ? "on" : "off")}";

    /// <summary>What one <c>context.page</c> gives, encoded.</summary>
    internal sealed record PageEntry(byte[]? Campaign, byte[]? Referrer);

    /// <summary>A parsed user agent, its members encoded once for every event that carries it.</summary>
    internal sealed record UserAgentEntry(byte[]? Device, byte[]? Os, byte[]? Browser, byte[]? Bot);

    /// <summary>One request's working state, used by one thread at a time: the additions of the message at hand, and the user agents already seen.</summary>
    public sealed class Work
    {
        private readonly List<ContextAddition> _additions = new(8);

        public ReadOnlySpan<ContextAddition> Additions => CollectionsMarshal.AsSpan(_additions);

        internal UserAgentEntry? HeaderEntry { get; set; }

        internal UserAgentEntry? LastEntry { get; set; }

        internal ReadOnlyMemory<byte> LastUserAgent { get; set; }

        internal ReadOnlyMemory<byte> LastUserAgentData { get; set; }

        private readonly ArrayBufferWriter<byte> _values = new(256);
        private Utf8JsonWriter? _writer;

        internal PageEntry? LastPageEntry { get; set; }

        internal ReadOnlyMemory<byte> LastPage { get; set; }

        /// <summary>Where <see cref="PageFacts.Read"/> unescapes a page's strings, reused from page to page.</summary>
        internal char[] PageText = new char[512];

        internal void Clear() => _additions.Clear();

        /// <summary>A writer for one value, which <see cref="End"/> returns as a new array.</summary>
        internal Utf8JsonWriter Begin()
        {
            _values.ResetWrittenCount();
            var w = _writer ??= new Utf8JsonWriter(_values, WriterOptions);
            w.Reset(_values);
            return w;
        }

        internal byte[] End()
        {
            _writer!.Flush();
            return _values.WrittenSpan.ToArray();
        }

        internal void Add(ContextAddition addition) => _additions.Add(addition);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Location enrichment reads {Databases}.")]
    private static partial void LogLocations(ILogger logger, string databases);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Location enrichment is off: {Reason} (Tracking:Enrichment:LocationOptional is true, so the API runs without locations).")]
    private static partial void LogLocationOff(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Enrichment: {Default} by default ({UserAgentPatterns} user-agent patterns, {BotPatterns} bot patterns, {Referrers} referrer hosts loaded); per source: {Sources}.")]
    private static partial void LogLoaded(ILogger logger, string @default, int userAgentPatterns, int botPatterns, int referrers, string sources);
}
