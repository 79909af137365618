namespace Tracking.Api.Ingestion;

/// <summary>Which web origins may call the API from a browser. Bound to <c>Tracking:Cors</c>.</summary>
internal sealed class CorsOptions
{
    public const string Section = "Tracking:Cors";

    /// <summary>Origins allowed to send events (<c>https://www.example.com</c>), or <c>*</c> for any. Default: any.</summary>
    public List<string> AllowedOrigins { get; set; } = [];
}

internal static class CorsSetup
{
    public const string PolicyName = "tracking";

    /// <summary>The SDK settings documents: read with GET by the same pages that send events.</summary>
    public const string SettingsPolicyName = "sdk-settings";

    public static IServiceCollection AddTrackingCors(this IServiceCollection services, IConfiguration configuration)
    {
        var origins = configuration.GetSection(CorsOptions.Section).Get<CorsOptions>()?.AllowedOrigins ?? [];
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
