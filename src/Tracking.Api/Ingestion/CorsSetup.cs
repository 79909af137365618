namespace Tracking.Api.Ingestion;

internal static class CorsSetup
{
    public const string PolicyName = "tracking";

    /// <summary>The SDK settings documents: read with GET by the same pages that send events.</summary>
    public const string SettingsPolicyName = "sdk-settings";

    public static IServiceCollection AddTrackingCors(this IServiceCollection services, IConfiguration configuration)
    {
        var origins = configuration.GetSection(BrowserOriginsOptions.Section).Get<BrowserOriginsOptions>()?.AllowedOrigins ?? [];
        services.AddCors(cors => cors.AddPolicy(PolicyName, policy =>
        {
            if (origins.Count == 0 || origins.Contains("*"))
            {
                policy.AllowAnyOrigin();
            }
            else
            {
                policy.WithOrigins([.. origins]);
            }

            // Browsers ask in preflights for whatever their SDK sends (analytics.js adds X-Retry-Count on retries):
            // the API judges requests by their body and key, so no request header needs refusing here.
            policy.WithMethods("POST")
                .AllowAnyHeader()
                .WithExposedHeaders("Retry-After")
                .SetPreflightMaxAge(TimeSpan.FromDays(1));
        }));
        services.AddCors(cors => cors.AddPolicy(SettingsPolicyName, policy =>
        {
            if (origins.Count == 0 || origins.Contains("*"))
            {
                policy.AllowAnyOrigin();
            }
            else
            {
                policy.WithOrigins([.. origins]);
            }

            // RudderStack's SDK sends its write key as Basic auth on the config request too.
            policy.WithMethods("GET")
                .AllowAnyHeader()
                .WithExposedHeaders("ETag")
                .SetPreflightMaxAge(TimeSpan.FromDays(1));
        }));
        return services;
    }
}
