using Microsoft.Extensions.Options;

namespace Tracking.Api.TrackingPlans;

/// <summary>Each source's plan and mode, loaded once at start-up (the options validator has already refused a bad file).</summary>
internal sealed class SourcePlans
{
    private readonly Dictionary<string, (TrackingPlan Plan, PlanMode Mode)> _plans = new(StringComparer.Ordinal);

    public SourcePlans(IOptions<TrackingPlanOptions> options, IHostEnvironment environment)
    {
        foreach (var (source, settings) in options.Value.TrackingPlans)
        {
            _plans[source] = (TrackingPlanLoader.Load(AppFolder.Resolve(environment, settings.Path)), settings.Mode);
        }
    }

    /// <summary>True when no source has a plan: the ingestion path then skips every check.</summary>
    public bool None => _plans.Count == 0;

    /// <summary>The sources with a plan, by name.</summary>
    public IEnumerable<KeyValuePair<string, (TrackingPlan Plan, PlanMode Mode)>> All => _plans;

    public bool TryGet(string source, out TrackingPlan plan, out PlanMode mode)
    {
        if (_plans.TryGetValue(source, out var entry))
        {
            (plan, mode) = entry;
            return true;
        }

        (plan, mode) = (null!, PlanMode.Flag);
        return false;
    }
}
