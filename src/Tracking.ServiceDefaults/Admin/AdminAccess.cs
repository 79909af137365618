using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Tracking.ServiceDefaults;

/// <summary>
/// The admin key's guard, one for both hosts: an authorization policy whose one requirement,
/// <see cref="AdminKeyRequirement"/>, checks the bearer key (or the API's session cookie). Endpoints marked with
/// <see cref="RequireAdmin{TBuilder}"/> get it, whatever spelling of their path routing matches; the rest
/// (ingestion, health) are not looked at.
/// </summary>
public static class AdminAccess
{
    /// <summary>The policy's name.</summary>
    public const string Policy = "admin";

    /// <summary>Registers the policy, the wrong-key counter and the refusal answers for <paramref name="key"/>.</summary>
    public static IServiceCollection AddAdminKeyAuthorization(this IServiceCollection services, AdminKey key)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddSingleton(key);
        services.AddAuthorizationBuilder().AddPolicy(Policy, policy => policy.AddRequirements(new AdminKeyRequirement()));
        // No handler registration: the requirement handles itself (ASP.NET Core's pass-through handler calls it);
        // registering it as well would check every key twice and count a wrong one twice.
        services.AddSingleton<AdminKeyGuesses>();
        services.AddSingleton<IAuthorizationMiddlewareResultHandler, AdminRefusal>();
        return services;
    }

    /// <summary>Only an admin (bearer key, or the API's session cookie) reaches the endpoint.</summary>
    public static TBuilder RequireAdmin<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder =>
        builder.RequireAuthorization(Policy);

    /// <summary>A page for people: without a session it redirects to the login form; left out of the OpenAPI document.</summary>
    public static TBuilder AsAdminPage<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder =>
        builder.RequireAuthorization(Policy).WithMetadata(new AdminPage()).ExcludeFromDescription();
}
