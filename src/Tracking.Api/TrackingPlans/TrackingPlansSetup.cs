using Microsoft.Extensions.Options;
using Tracking.ServiceDefaults;

namespace Tracking.Api.TrackingPlans;

/// <summary>The tracking plans' services: the plans per source (loaded and checked at start-up), their enforcement on ingestion.</summary>
internal static class TrackingPlansSetup
{
    public static WebApplicationBuilder AddTrackingPlans(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<TrackingPlanOptions>().BindConfiguration(TrackingPlanOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<TrackingPlanOptions>, TrackingPlanOptionsValidator>();
        services.AddValidatedOptions<QuarantineOptions>(QuarantineOptions.Section);
        services.AddSingleton<SourcePlans>();
        services.AddSingleton<PlanCounters>();
        services.AddSingleton<PlanEnforcement>();
        services.AddSingleton<Quarantine>();
        services.AddValidatedOptions<PlanDraftOptions>(PlanDraftOptions.Section);
        services.AddSingleton<PlanObserver>();
        services.ConfigureHttpJsonOptions(json => json.SerializerOptions.TypeInfoResolverChain.Insert(0, TrackingPlanJsonContext.Default));
        return builder;
    }
}
