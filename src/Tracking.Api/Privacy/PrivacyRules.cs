using System.Text;
using Microsoft.Extensions.Options;
using Tracking.Api.Delivery;

namespace Tracking.Api.Privacy;

/// <summary>
/// Each source's privacy rules (those of source <c>*</c> first, then its own), compiled once at start.
/// Screening asks once per request; a source without rules costs one dictionary lookup.
/// </summary>
internal sealed class PrivacyRules
{
    private readonly Dictionary<string, SourceRules> _bySource = new(StringComparer.Ordinal);
    private readonly SourceRules? _everySource;

    public PrivacyRules(IOptions<PrivacyOptions> options)
    {
        var value = options.Value;
        var key = string.IsNullOrEmpty(value.HashKey) ? null : Encoding.UTF8.GetBytes(value.HashKey);
        var shared = value.Sources.GetValueOrDefault(PrivacyOptions.EverySource) ?? [];
        if (shared.Count > 0)
        {
            _everySource = new SourceRules(shared, key);
        }

        foreach (var (source, rules) in value.Sources)
        {
            if (source != PrivacyOptions.EverySource && rules.Count > 0)
            {
                _bySource[source] = new SourceRules([.. shared, .. rules], key);
            }
        }
    }

    /// <summary>The rules for events of <paramref name="source"/>, or null when it has none.</summary>
    public SourceRules? For(string source) => _bySource.GetValueOrDefault(source) ?? _everySource;

    /// <summary><paramref name="enriched"/> with <paramref name="rules"/> applied; as it is when there are none.</summary>
    public static EnrichedEvent Apply(SourceRules? rules, EnrichedEvent enriched) =>
        rules is null ? enriched : enriched with { Json = rules.Apply(enriched.Json) };
}
