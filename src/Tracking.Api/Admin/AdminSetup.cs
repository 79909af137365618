using Microsoft.Extensions.Options;
using Tracking.ServiceDefaults;

namespace Tracking.Api.Admin;

/// <summary>
/// The API's admin key on the guard both hosts share (<see cref="AdminAccess"/>): <c>Tracking:AdminKey</c>, as a
/// bearer key or through the login form's session cookie, and the security headers of the admin pages.
/// </summary>
internal static class AdminSetup
{
    public static WebApplicationBuilder AddAdmin(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<AdminOptions>().BindConfiguration(AdminOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<AdminOptions>, AdminOptionsValidator>();
        services.AddAdminKeyAuthorization(new AdminKey("Tracking:AdminKey", sp => sp.GetRequiredService<IOptions<AdminOptions>>().Value.AdminKey)
        {
            LoginPath = AdminLogin.Path,
            Session = (http, key) => http.Request.Cookies[AdminSession.CookieName] is { } cookie &&
                AdminSession.IsValid(key, cookie, http.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow()),
        });
        return builder;
    }

    public static WebApplication UseAdmin(this WebApplication app)
    {
        app.UseAdminHeaders();
        app.UseAuthorization();
        return app;
    }

    /// <summary>True when <c>Tracking:AdminKey</c> is set; otherwise the operations endpoints are not mapped at all.</summary>
    public static bool AdminEnabled(this IEndpointRouteBuilder app) =>
        app.ServiceProvider.GetRequiredService<IOptions<AdminOptions>>().Value.Enabled;
}
