using Microsoft.Extensions.Options;
using Tracking.Plans;

namespace Tracking.Consumer.Warehouse;

/// <summary>Reads every configured plan when the consumer starts, so a missing or broken file stops the start with its reason.</summary>
internal sealed class PlanViewOptionsValidator(IHostEnvironment environment) : IValidateOptions<PlanViewOptions>
{
    public ValidateOptionsResult Validate(string? name, PlanViewOptions options)
    {
        var errors = new List<string>();
        foreach (var (source, plan) in options.TrackingPlans)
        {
            if (string.IsNullOrWhiteSpace(plan.Path))
            {
                errors.Add($"{PlanViewOptions.SettingOf(source, "Path")} is empty: it must name the tracking plan file (JSON or YAML) of source '{source}'.");
                continue;
            }

            try
            {
                PlanDocument.Read(PlanViewSync.Resolve(environment, plan.Path));
            }
            catch (TrackingPlanException ex)
            {
                errors.Add($"{PlanViewOptions.SettingOf(source, "Path")}: {ex.Message}");
            }
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
