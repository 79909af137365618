using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Tracking.ServiceDefaults;

/// <summary>
/// Lets an admin through by <c>Authorization: Bearer &lt;admin key&gt;</c> (scripts, Prometheus, the API's status
/// page asking the consumer) or, where the host has one, by the session cookie its login form sets (browsers, so
/// the key never sits in a URL). It is an authorization requirement rather than an authentication scheme: no user
/// identity is needed, and ASP.NET Core's authentication stack would bring Data Protection and its key ring along
/// for nothing. Wrong bearer keys count against the client address (<see cref="AdminKeyGuesses"/>).
/// </summary>
public sealed class AdminKeyRequirement : AuthorizationHandler<AdminKeyRequirement>, IAuthorizationRequirement
{
    /// <summary>The item a request refused for its address's wrong keys carries, with how long the lockout lasts.</summary>
    public const string LockedOutFor = "tracking.admin.locked-out-for";

    /// <inheritdoc/>
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, AdminKeyRequirement requirement)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Resource is HttpContext http && IsAdmin(http))
        {
            context.Succeed(requirement);
        }

        return Task.CompletedTask;
    }

    private static bool IsAdmin(HttpContext http)
    {
        var admin = http.RequestServices.GetRequiredService<AdminKey>();
        if (admin.Current(http.RequestServices) is not { Length: > 0 } key)
        {
            return false;
        }

        if (AdminKeyCheck.FromBearer(http.Request.Headers.Authorization) is { } presented)
        {
            var guesses = http.RequestServices.GetRequiredService<AdminKeyGuesses>();
            var address = ClientAddress.KeyOf(http.Connection.RemoteIpAddress);
            if (guesses.LockedOut(address, out var retryAfter))
            {
                http.Items[LockedOutFor] = retryAfter;
                return false;
            }

            if (AdminKeyCheck.Matches(key, presented))
            {
                return true;
            }

            guesses.Wrong(address);
            return false;
        }

        return admin.Session is { } session && session(http, key);
    }
}
