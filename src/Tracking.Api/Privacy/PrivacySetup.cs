using Microsoft.Extensions.Options;

namespace Tracking.Api.Privacy;

internal static class PrivacySetup
{
    /// <summary>The privacy rules (<c>Tracking:Privacy</c>), checked when the app starts.</summary>
    public static IServiceCollection AddPrivacyRules(this IServiceCollection services)
    {
        services.AddOptions<PrivacyOptions>().BindConfiguration(PrivacyOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<PrivacyOptions>, PrivacyOptionsValidator>();
        services.AddSingleton<PrivacyRules>();
        return services;
    }
}
