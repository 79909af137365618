using Microsoft.Extensions.Options;
using Tracking.Api.Admin;

namespace Tracking.Api.TrackingPlans;

/// <summary>
/// The tracking plans, one per source, bound from <c>Tracking:TrackingPlans:&lt;source name&gt;</c> (the names
/// <c>Tracking:WriteKeys</c> maps keys to). Default: none, so no event is checked.
/// </summary>
internal sealed class TrackingPlanOptions
{
    public const string Section = "Tracking";

    /// <summary>Where each setting of a source's plan lives, for messages.</summary>
    public static string SettingOf(string source, string setting) => $"Tracking:TrackingPlans:{source}:{setting}";

    /// <summary>Plan settings by source name.</summary>
    public Dictionary<string, TrackingPlanSourceOptions> TrackingPlans { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>One source's plan.</summary>
internal sealed class TrackingPlanSourceOptions
{
    /// <summary>
    /// The plan file: JSON, or YAML when its name ends in <c>.yaml</c>/<c>.yml</c>. A relative path is taken from the
    /// content root, as the File sink's folder is. Required. Read once, at start-up: a change needs a restart.
    /// </summary>
    public string Path { get; set; } = "";

    /// <summary>What happens to an event that breaks the plan. Default <see cref="PlanMode.Flag"/>.</summary>
    public PlanMode Mode { get; set; } = PlanMode.Flag;
}

/// <summary>
/// Loads every configured plan when the app starts, so a bad file stops the start with its reason, and refuses
/// <see cref="PlanMode.Block"/> without an admin key (nobody could read or re-admit the quarantine).
/// </summary>
internal sealed class TrackingPlanOptionsValidator(IHostEnvironment environment, IOptions<AdminOptions> admin) : IValidateOptions<TrackingPlanOptions>
{
    public ValidateOptionsResult Validate(string? name, TrackingPlanOptions options)
    {
        var errors = new List<string>();
        foreach (var (source, plan) in options.TrackingPlans)
        {
            if (string.IsNullOrWhiteSpace(plan.Path))
            {
                errors.Add($"{TrackingPlanOptions.SettingOf(source, "Path")} is empty: it must name the tracking plan file (JSON or YAML) of source '{source}'.");
                continue;
            }

            try
            {
                TrackingPlanLoader.Load(AppFolder.Resolve(environment, plan.Path));
            }
            catch (TrackingPlanException ex)
            {
                errors.Add($"{TrackingPlanOptions.SettingOf(source, "Path")}: {ex.Message}");
            }

            if (plan.Mode == PlanMode.Block && !admin.Value.Enabled)
            {
                errors.Add($"{TrackingPlanOptions.SettingOf(source, "Mode")} is Block, which needs Tracking:AdminKey: without it nobody can read or re-admit the quarantined events.");
            }
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
