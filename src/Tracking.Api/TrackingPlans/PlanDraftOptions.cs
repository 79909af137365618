using Tracking.ServiceDefaults;

namespace Tracking.Api.TrackingPlans;

/// <summary>
/// What the API notes of each source's accepted traffic to draft a tracking plan from (<c>Tracking:PlanDraft</c>,
/// served by <c>GET /admin/plans/draft</c>): names and JSON types only, never a value. Bounded in memory by the
/// caps below and in time by <see cref="MaxEventsPerSecond"/>.
/// </summary>
internal sealed class PlanDraftOptions : IValidatedOptions
{
    public const string Section = "Tracking:PlanDraft";

    /// <summary>Observe traffic at all. Default true; it needs <c>Tracking:AdminKey</c> as well (without it nobody could read the draft, so nothing is observed).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The most events observed per second and source (the rest pass unobserved, counted). Default 100; 1 to 1,000,000.</summary>
    public int MaxEventsPerSecond { get; set; } = 100;

    /// <summary>
    /// The most distinct names kept per source, over all message types (track events, page and screen names, and
    /// one each for identify and group). Events of further names are counted as left out. Default 500; 1 to 100,000.
    /// </summary>
    public int MaxNamesPerSource { get; set; } = 500;

    /// <summary>
    /// The most property paths kept per name (nested members and array items count, each once). Further paths are
    /// counted as left out. Default 200; 1 to 100,000.
    /// </summary>
    public int MaxPropertiesPerName { get; set; } = 200;

    /// <summary>
    /// How deep into nested objects and arrays paths are kept (1: only the top-level properties; an array's items are
    /// one level more). Default 8; 1 to <see cref="DepthLimit"/>, so the drafted file stays within the 64 levels of
    /// nesting the plan loader reads.
    /// </summary>
    public int MaxDepth { get; set; } = 8;

    /// <summary>
    /// How large one source's draft may grow, in characters of the drafted file, counted as names and paths are
    /// first kept (each at least <see cref="CostPerEntry"/> for its schema and count, plus its name and full path).
    /// Names and paths past it are counted as left out. It bounds the observer's memory and keeps every draft a
    /// file the plan loader reads (at most 4 MiB), whatever the caps above allow. Default 2,000,000; 10,000 to
    /// 3,000,000.
    /// </summary>
    public int MaxDraftCharacters { get; set; } = 2_000_000;

    /// <summary>What a kept name or path costs of <see cref="MaxDraftCharacters"/> besides its own characters.</summary>
    public const int CostPerEntry = 64;

    /// <summary>The deepest <see cref="MaxDepth"/>: each level is two levels of the plan's schema (properties, name).</summary>
    public const int DepthLimit = 24;

    public IEnumerable<string> Validate()
    {
        foreach (var (setting, value, max) in new[]
                 {
                     (nameof(MaxEventsPerSecond), MaxEventsPerSecond, 1_000_000),
                     (nameof(MaxNamesPerSource), MaxNamesPerSource, 100_000),
                     (nameof(MaxPropertiesPerName), MaxPropertiesPerName, 100_000),
                     (nameof(MaxDepth), MaxDepth, DepthLimit),
                 })
        {
            if (value < 1 || value > max)
            {
                yield return $"{Section}:{setting} must be from 1 to {max}; it is {value}.";
            }
        }

        if (MaxDraftCharacters is < 10_000 or > 3_000_000)
        {
            yield return $"{Section}:{nameof(MaxDraftCharacters)} must be from 10000 to 3000000; it is {MaxDraftCharacters}.";
        }
    }
}
