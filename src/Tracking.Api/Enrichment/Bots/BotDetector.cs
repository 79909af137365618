using System.Text.Json;
using System.Text.RegularExpressions;

namespace Tracking.Api.Enrichment.Bots;

/// <summary>
/// crawler-user-agents' patterns, all joined into one expression so a browser's user agent is judged in one scan;
/// only a match is looked up pattern by pattern, for the crawler's entry. Matching is case-sensitive, as the list's
/// own tests run it. The joined expression is compiled (it costs milliseconds at start and halves each scan); the
/// entries are interpreted, as only a bot's user agent, once per distinct one (the result is cached), walks them.
/// </summary>
internal sealed class BotDetector
{
    // A scan of the joined patterns takes up to some 25 ms on a slow, busy core; the limit is for crafted input only.
    private static readonly TimeSpan MatchTimeout = TimeSpan.FromMilliseconds(500);

    private readonly Regex _any;
    private readonly (Regex Pattern, string? Url)[] _entries;

    private BotDetector(Regex any, (Regex, string?)[] entries)
    {
        _any = any;
        _entries = entries;
    }

    public int PatternCount => _entries.Length;

    /// <summary>Reads crawler-user-agents.json: an array of <c>{"pattern": …, "url": …}</c>.</summary>
    public static BotDetector Load(Stream json)
    {
        using var document = JsonDocument.Parse(json);
        var entries = new List<(Regex, string?)>();
        var patterns = new List<string>();
        foreach (var item in document.RootElement.EnumerateArray())
        {
            var pattern = item.GetProperty("pattern").GetString()!;
            var url = item.TryGetProperty("url", out var u) && u.ValueKind == JsonValueKind.String ? u.GetString() : null;
            entries.Add((new Regex(pattern, RegexOptions.CultureInvariant, MatchTimeout), url));
            patterns.Add("(?:" + pattern + ")");
        }

        var any = new Regex(string.Join('|', patterns), RegexOptions.CultureInvariant | RegexOptions.Compiled, MatchTimeout);
        return new BotDetector(any, [.. entries]);
    }

    /// <summary>The crawler <paramref name="userAgent"/> belongs to, or null for none known.</summary>
    public Bot? Find(string userAgent)
    {
        if (userAgent.Length > Devices.UserAgentParser.MaxLength)
        {
            userAgent = userAgent[..Devices.UserAgentParser.MaxLength];
        }

        try
        {
            var match = _any.Match(userAgent);
            if (!match.Success)
            {
                return null;
            }

            foreach (var (pattern, url) in _entries)
            {
                var own = pattern.Match(userAgent);
                if (own.Success)
                {
                    return new Bot(own.Value.Trim(' ', '/', ';', '(', ')'), url);
                }
            }

            return new Bot(match.Value.Trim(' ', '/', ';', '(', ')'), null);
        }
        catch (RegexMatchTimeoutException)
        {
            // A user agent crafted to make the patterns backtrack is not judged a bot; it costs one timeout, once (cached).
            return null;
        }
    }
}
