using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;
using Tracking.ServiceDefaults;

namespace Tracking.Api.Admin;

/// <summary>
/// The admin key's guard for the operations endpoints: an authorization policy whose one requirement,
/// <see cref="AdminKeyRequirement"/>, checks the bearer key or the session cookie. Endpoints without the
/// policy (ingestion, health) are not looked at.
/// </summary>
internal static class AdminSetup
{
    public const string Policy = "admin";

    public static WebApplicationBuilder AddAdmin(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<AdminOptions>().BindConfiguration(AdminOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<AdminOptions>, AdminOptionsValidator>();
        services.AddAuthorizationBuilder().AddPolicy(Policy, policy => policy.AddRequirements(new AdminKeyRequirement()));
        // No handler registration: the requirement handles itself (ASP.NET Core's pass-through handler calls it);
        // registering it as well would check every key twice and count a wrong one twice.
        services.AddSingleton<AdminKeyGuesses>();
        services.AddSingleton<IAuthorizationMiddlewareResultHandler, AdminRefusal>();
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

    /// <summary>Only an admin (bearer key or session cookie) reaches the endpoint.</summary>
    public static TBuilder RequireAdmin<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder =>
        builder.RequireAuthorization(Policy);

    /// <summary>A page for people: without a session it redirects to the login form.</summary>
    public static TBuilder AsAdminPage<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder =>
        builder.RequireAuthorization(Policy).WithMetadata(new AdminPage()).ExcludeFromDescription();
}
