using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace Tracking.Api.Enrichment.Devices;

/// <summary>
/// uap-core's <c>regexes.yaml</c> applied as its specification says: for each of browser, OS and device, the first
/// pattern that matches wins, its replacements filled from the match's groups (<c>$1</c>…<c>$9</c>) and trimmed;
/// no match is family <c>Other</c>. Loaded once; a parse walks up to about a thousand patterns, so callers cache.
/// </summary>
internal sealed partial class UserAgentParser
{
    /// <summary>A user agent is read up to this length: the patterns look at its start, and a longer one is not a browser's.</summary>
    public const int MaxLength = 1024;

    private static readonly TimeSpan MatchTimeout = TimeSpan.FromMilliseconds(50);

    private readonly Pattern[] _browsers;
    private readonly Pattern[] _systems;
    private readonly Pattern[] _devices;

    private UserAgentParser(Pattern[] browsers, Pattern[] systems, Pattern[] devices)
    {
        _browsers = browsers;
        _systems = systems;
        _devices = devices;
    }

    /// <summary>How many patterns were loaded, for the start-up line.</summary>
    public int PatternCount => _browsers.Length + _systems.Length + _devices.Length;

    /// <summary>Reads <paramref name="yaml"/> (uap-core's regexes.yaml).</summary>
    public static UserAgentParser Load(TextReader yaml)
    {
        var stream = new YamlStream();
        stream.Load(yaml);
        var root = (YamlMappingNode)stream.Documents[0].RootNode;
        return new UserAgentParser(
            Read(root, "user_agent_parsers", "family_replacement", "v1_replacement", "v2_replacement", "v3_replacement"),
            Read(root, "os_parsers", "os_replacement", "os_v1_replacement", "os_v2_replacement", "os_v3_replacement"),
            Read(root, "device_parsers", "device_replacement", "brand_replacement", "model_replacement", null));
    }

    public UserAgentDetails Parse(string userAgent)
    {
        if (userAgent.Length > MaxLength)
        {
            userAgent = userAgent[..MaxLength];
        }

        Part? browser = null, system = null, device = null;
        if (First(_browsers, userAgent) is var (b, bm) && b is not null)
        {
            browser = new Part(Fill(b.Replacements[0], bm, 1), Fill(b.Replacements[1], bm, 2), Fill(b.Replacements[2], bm, 3), Fill(b.Replacements[3], bm, 4));
        }

        if (First(_systems, userAgent) is var (s, sm) && s is not null)
        {
            system = new Part(Fill(s.Replacements[0], sm, 1), Fill(s.Replacements[1], sm, 2), Fill(s.Replacements[2], sm, 3), Fill(s.Replacements[3], sm, 4));
        }

        if (First(_devices, userAgent) is var (d, dm) && d is not null)
        {
            // A device's family and model both default to the first group; its brand only comes from a replacement.
            device = new Part(Fill(d.Replacements[0], dm, 1), Fill(d.Replacements[1], dm, 0), Fill(d.Replacements[2], dm, 1), null);
        }

        return new UserAgentDetails(
            browser is { Family: not (null or "Other") } ? browser : null,
            system is { Family: not (null or "Other") } ? system : null,
            device is { Family: not (null or "Other") } ? device : null);
    }

    private static (Pattern?, Match?) First(Pattern[] patterns, string userAgent)
    {
        foreach (var pattern in patterns)
        {
            try
            {
                var match = pattern.Regex.Match(userAgent);
                if (match.Success)
                {
                    return (pattern, match);
                }
            }
            catch (RegexMatchTimeoutException)
            {
                // A crafted user agent that makes one pattern backtrack costs that pattern, not the request.
            }
        }

        return (null, null);
    }

    /// <summary>The replacement with <c>$n</c> filled, or else group <paramref name="group"/> (0: none); trimmed, null when empty.</summary>
    private static string? Fill(string? replacement, Match? match, int group)
    {
        string? value;
        if (replacement is not null)
        {
            value = replacement.Contains('$', StringComparison.Ordinal)
                ? PlaceHolder().Replace(replacement, p =>
                {
                    var n = p.ValueSpan[1] - '0';
                    return n < match!.Groups.Count && match.Groups[n].Success ? match.Groups[n].Value : "";
                })
                : replacement;
        }
        else
        {
            value = group > 0 && group < match!.Groups.Count && match.Groups[group].Success ? match.Groups[group].Value : null;
        }

        value = value?.Trim();
        return string.IsNullOrEmpty(value) ? null : value;
    }

    private static Pattern[] Read(YamlMappingNode root, string section, string r0, string r1, string r2, string? r3)
    {
        var list = (YamlSequenceNode)root.Children[new YamlScalarNode(section)];
        var patterns = new List<Pattern>(list.Children.Count);
        foreach (var item in list.Children.Cast<YamlMappingNode>())
        {
            string? Scalar(string? key) =>
                key is not null && item.Children.TryGetValue(new YamlScalarNode(key), out var node) ? ((YamlScalarNode)node).Value : null;

            var options = RegexOptions.CultureInvariant | (Scalar("regex_flag") == "i" ? RegexOptions.IgnoreCase : RegexOptions.None);
            var regex = new Regex(Scalar("regex")!, options, MatchTimeout);
            patterns.Add(new Pattern(regex, [Scalar(r0), Scalar(r1), Scalar(r2), Scalar(r3)]));
        }

        return [.. patterns];
    }

    [GeneratedRegex(@"\$[1-9]")]
    private static partial Regex PlaceHolder();

    private sealed record Pattern(Regex Regex, string?[] Replacements);
}
