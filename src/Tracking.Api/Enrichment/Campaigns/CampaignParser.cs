using System.Text.Json;

namespace Tracking.Api.Enrichment.Campaigns;

/// <summary>
/// A page's campaign, as analytics.js reads it: the <c>utm_*</c> parameters of its query string into Segment's
/// <c>context.campaign</c> names (<c>utm_campaign</c> → <c>name</c>, <c>utm_source</c> → <c>source</c>, …), and the
/// ad networks' click ids under their own names.
/// </summary>
internal static class CampaignParser
{
    /// <summary>Query parameters kept, each with the member it fills.</summary>
    public static readonly Dictionary<string, string> Parameters = new(StringComparer.OrdinalIgnoreCase)
    {
        ["utm_campaign"] = "name",
        ["utm_source"] = "source",
        ["utm_medium"] = "medium",
        ["utm_term"] = "term",
        ["utm_content"] = "content",
        ["utm_id"] = "id",
        // Click ids: Google Ads (gclid, and gbraid/wbraid for iOS), Google Display (dclid), Meta, Microsoft Ads,
        // TikTok, X, LinkedIn, Yandex, Pinterest, Snapchat.
        ["gclid"] = "gclid",
        ["gbraid"] = "gbraid",
        ["wbraid"] = "wbraid",
        ["dclid"] = "dclid",
        ["fbclid"] = "fbclid",
        ["msclkid"] = "msclkid",
        ["ttclid"] = "ttclid",
        ["twclid"] = "twclid",
        ["li_fat_id"] = "li_fat_id",
        ["yclid"] = "yclid",
        ["epik"] = "epik",
        ["sccid"] = "sccid",
    };

    private static readonly Dictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> ByName = Parameters.GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>The query of a URL or a <c>?a=b</c> search string: what follows '?', up to '#'. A search string without its '?' is taken whole.</summary>
    public static ReadOnlySpan<char> QueryOf(ReadOnlySpan<char> urlOrSearch)
    {
        var question = urlOrSearch.IndexOf('?');
        if (question < 0)
        {
            // location.search always starts with '?'; a bare "utm_source=x" has no scheme or path before it.
            return urlOrSearch.Contains('=') && !urlOrSearch.Contains('/') ? urlOrSearch : default;
        }

        var query = urlOrSearch[(question + 1)..];
        var hash = query.IndexOf('#');
        return hash < 0 ? query : query[..hash];
    }

    /// <summary>True when <paramref name="query"/> holds any campaign parameter with a value.</summary>
    public static bool Names(ReadOnlySpan<char> query)
    {
        foreach (var range in query.Split('&'))
        {
            var pair = query[range];
            var equals = pair.IndexOf('=');
            if (equals > 0 && equals < pair.Length - 1 && ByName.ContainsKey(pair[..equals]))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Writes <c>"campaign":{…}</c>'s value for <paramref name="query"/> into <paramref name="writer"/>; false (nothing
    /// written) when it names no campaign parameter. The first value of a repeated parameter wins.
    /// </summary>
    public static bool TryWrite(ReadOnlySpan<char> query, Utf8JsonWriter writer)
    {
        HashSet<string>? seen = null;
        foreach (var range in query.Split('&'))
        {
            var pair = query[range];
            var equals = pair.IndexOf('=');
            var name = equals < 0 ? pair : pair[..equals];
            if (equals < 0 || !ByName.TryGetValue(name, out var member))
            {
                continue;
            }

            var value = Decode(pair[(equals + 1)..]);
            if (value.Length == 0 || !(seen ??= new(StringComparer.Ordinal)).Add(member))
            {
                continue;
            }

            if (seen.Count == 1)
            {
                writer.WriteStartObject();
            }

            writer.WriteString(member, value);
        }

        if (seen is { Count: > 0 })
        {
            writer.WriteEndObject();
            return true;
        }

        return false;
    }

    private static string Decode(ReadOnlySpan<char> value)
    {
        var text = value.Contains('+') ? value.ToString().Replace('+', ' ') : value.ToString();
        try
        {
            return Uri.UnescapeDataString(text).Trim();
        }
        catch (UriFormatException)
        {
            return text.Trim();
        }
    }
}
