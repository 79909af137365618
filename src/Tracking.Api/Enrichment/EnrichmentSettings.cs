using System.Globalization;

namespace Tracking.Api.Enrichment;

/// <summary>
/// Binds <see cref="EnrichmentOptions"/> after reading its settings as written. The configuration binder silently
/// skips a value it cannot convert inside <c>Sources</c> (a source's <c>Bots=Block</c> would leave that source on the
/// default), and names a bad top-level value only by its .NET type; so every value is checked here first, and a
/// setting that is misspelled, names an unknown source or holds a bad value becomes a start-up refusal naming it.
/// </summary>
internal static class EnrichmentSettings
{
    private static readonly string[] Switches =
        [nameof(SourceEnrichmentOptions.Device), nameof(SourceEnrichmentOptions.Bots), nameof(SourceEnrichmentOptions.Campaign),
         nameof(SourceEnrichmentOptions.Referrer), nameof(SourceEnrichmentOptions.Location)];

    private static readonly string[] Lists = [nameof(EnrichmentOptions.InternalHosts), nameof(EnrichmentOptions.LocationDatabases)];

    private static readonly string[] Flags =
        [nameof(EnrichmentOptions.LocationOptional), nameof(EnrichmentOptions.LocationCoordinates)];

    /// <summary>Checks <c>Tracking:Enrichment</c>, then binds it unless a problem was found (the problems are refused by validation).</summary>
    public static void Bind(EnrichmentOptions options, IConfiguration configuration)
    {
        var section = configuration.GetSection(EnrichmentOptions.Section);
        options.SettingProblems.AddRange(Problems(section, KnownSources(configuration)));
        if (options.SettingProblems.Count == 0)
        {
            section.Bind(options);
        }
    }

    /// <summary>The sources a write key maps to, or null when any name may do (no keys: Development's single source).</summary>
    private static HashSet<string>? KnownSources(IConfiguration configuration)
    {
        var names = configuration.GetSection("Tracking:WriteKeys").GetChildren().Select(k => k.Value).OfType<string>().ToHashSet(StringComparer.Ordinal);
        return names.Count == 0 ? null : names;
    }

    internal static List<string> Problems(IConfigurationSection section, HashSet<string>? sources)
    {
        var problems = new List<string>();
        foreach (var child in section.GetChildren())
        {
            var setting = $"{EnrichmentOptions.Section}:{child.Key}";
            if (Is(child.Key, nameof(EnrichmentOptions.Sources)))
            {
                foreach (var source in child.GetChildren())
                {
                    CheckSource(source, sources, problems);
                }
            }
            else if (Switches.Any(s => Is(child.Key, s)) || Flags.Any(f => Is(child.Key, f)))
            {
                CheckSwitch(setting, child, problems);
            }
            else if (Is(child.Key, nameof(EnrichmentOptions.CacheEntries)))
            {
                if (child.Value is { } value && !int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out _))
                {
                    problems.Add($"{setting} is '{value}': it must be a whole number from {EnrichmentOptions.MinCacheEntries} to {EnrichmentOptions.MaxCacheEntries}.");
                }
            }
            else if (!Lists.Any(l => Is(child.Key, l)))
            {
                problems.Add($"{setting} is not a setting: the settings of {EnrichmentOptions.Section} are {string.Join(", ", [.. Switches, .. Lists, .. Flags, nameof(EnrichmentOptions.CacheEntries), nameof(EnrichmentOptions.Sources)])}.");
            }
        }

        return problems;
    }

    private static void CheckSource(IConfigurationSection source, HashSet<string>? sources, List<string> problems)
    {
        var prefix = $"{EnrichmentOptions.Section}:Sources:{source.Key}";
        if (sources is not null && !sources.Contains(source.Key))
        {
            problems.Add($"{prefix} names no source of Tracking:WriteKeys (they are {string.Join(", ", sources.Order(StringComparer.Ordinal))}); source names are case-sensitive.");
        }

        foreach (var child in source.GetChildren())
        {
            if (Switches.Any(s => Is(child.Key, s)))
            {
                CheckSwitch($"{prefix}:{child.Key}", child, problems);
            }
            else
            {
                problems.Add($"{prefix}:{child.Key} is not a setting: a source's settings are {string.Join(", ", Switches)}.");
            }
        }
    }

    private static void CheckSwitch(string setting, IConfigurationSection value, List<string> problems)
    {
        if (value.Value is not { } text)
        {
            if (value.GetChildren().Any())
            {
                problems.Add($"{setting} must be one value, not a section.");
            }

            return;
        }

        if (Is(value.Key, nameof(EnrichmentOptions.Bots)))
        {
            // Enum.TryParse also takes a number; only a defined action is one.
            if (!Enum.TryParse<BotAction>(text, ignoreCase: true, out var action) || !Enum.IsDefined(action))
            {
                problems.Add($"{setting} is '{text}': it must be Off, Flag, Refuse or Quarantine.");
            }
        }
        else if (!bool.TryParse(text, out _))
        {
            problems.Add($"{setting} is '{text}': it must be true or false.");
        }
    }

    // Configuration keys are case-insensitive, as the binder reads them.
    private static bool Is(string key, string name) => string.Equals(key, name, StringComparison.OrdinalIgnoreCase);
}
