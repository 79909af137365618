using Tracking.ServiceDefaults;

namespace Tracking.Api.Suppression;

internal static class SuppressionSetup
{
    /// <summary>The suppression list (<c>Tracking:Suppression</c>), read when the app starts and watched for changes.</summary>
    public static IServiceCollection AddSuppression(this IServiceCollection services)
    {
        services.AddValidatedOptions<SuppressionOptions>(SuppressionOptions.Section);
        services.AddSingleton<SuppressionList>();
        services.AddHostedService(provider => provider.GetRequiredService<SuppressionList>());
        services.ConfigureHttpJsonOptions(json => json.SerializerOptions.TypeInfoResolverChain.Insert(0, SuppressionJsonContext.Default));
        return services;
    }
}
