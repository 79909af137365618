namespace Tracking.Api.SdkSettings;

internal static class SdkSettingsSetup
{
    /// <summary>The SDK settings endpoints' services: the public address and analytics.js's bundle.</summary>
    public static WebApplicationBuilder AddSdkSettings(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<PublicAddress>();
        builder.Services.AddSingleton<SegmentBundle>();
        return builder;
    }
}
