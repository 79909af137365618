using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.Extensions.Options;
using Tracking.Events;
using Tracking.ServiceDefaults;

namespace Tracking.Api.Admin;

/// <summary>
/// Lets an admin through by <c>Authorization: Bearer &lt;admin key&gt;</c> (scripts, Prometheus) or by the
/// session cookie the login form sets (browsers, so the key never sits in a URL). It is an authorization
/// requirement rather than an authentication scheme: no user identity is needed, and ASP.NET Core's
/// authentication stack would bring Data Protection and its key ring along for nothing.
/// </summary>
internal sealed class AdminKeyRequirement : AuthorizationHandler<AdminKeyRequirement>, IAuthorizationRequirement
{
    /// <summary>The item a request refused for its address's wrong keys carries, with how long the lockout lasts.</summary>
    public const string LockedOutFor = "tracking.admin.locked-out-for";

    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, AdminKeyRequirement requirement)
    {
        if (context.Resource is HttpContext http && IsAdmin(http))
        {
            context.Succeed(requirement);
        }

        return Task.CompletedTask;
    }

    private static bool IsAdmin(HttpContext http)
    {
        if (http.RequestServices.GetRequiredService<IOptions<AdminOptions>>().Value.AdminKey is not { Length: > 0 } key)
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

        return http.Request.Cookies[AdminSession.CookieName] is { } cookie &&
               AdminSession.IsValid(key, cookie, http.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow());
    }
}

/// <summary>
/// What a request the admin policy refused gets: a page request is sent to the login form; anything else
/// a 401 problem document with <c>WWW-Authenticate: Bearer</c>.
/// </summary>
internal sealed class AdminRefusal : IAuthorizationMiddlewareResultHandler
{
    public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        if (authorizeResult.Succeeded)
        {
            await next(context);
            return;
        }

        if (context.Items[AdminKeyRequirement.LockedOutFor] is TimeSpan retryAfter)
        {
            await context.RequestServices.GetRequiredService<AdminKeyGuesses>().RefuseAsync(context, retryAfter);
            return;
        }

        if (context.GetEndpoint()?.Metadata.GetMetadata<AdminPage>() is not null)
        {
            context.Response.Redirect(AdminLogin.Path + "?returnUrl=" + Uri.EscapeDataString(context.Request.Path));
            return;
        }

        context.Response.Headers.WWWAuthenticate = "Bearer realm=\"tracking-admin\"";
        await TypedResults.Problem(
            statusCode: StatusCodes.Status401Unauthorized,
            title: "Admin key required",
            detail: "Send the admin key (Tracking:AdminKey) as 'Authorization: Bearer <key>', or log in at /admin/login.").ExecuteAsync(context);
    }
}

/// <summary>Marks an endpoint as a page for people: without a session it sends the browser to the login form instead of answering 401.</summary>
internal sealed class AdminPage;
