using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Tracking.ServiceDefaults;

/// <summary>
/// What a request the admin policy refused gets: 429 with Retry-After when its address sent too many wrong keys; a
/// page request (<see cref="AdminPage"/>) is sent to the login form; anything else a 401 problem document with
/// <c>WWW-Authenticate: Bearer</c> naming the setting that holds the key.
/// </summary>
public sealed class AdminRefusal : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler _default = new();

    /// <inheritdoc/>
    public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(authorizeResult);
        if (authorizeResult.Succeeded || !policy.Requirements.OfType<AdminKeyRequirement>().Any())
        {
            await _default.HandleAsync(next, context, policy, authorizeResult);
            return;
        }

        if (context.Items[AdminKeyRequirement.LockedOutFor] is TimeSpan retryAfter)
        {
            await context.RequestServices.GetRequiredService<AdminKeyGuesses>().RefuseAsync(context, retryAfter);
            return;
        }

        var admin = context.RequestServices.GetRequiredService<AdminKey>();
        if (admin.LoginPath is { } login && context.GetEndpoint()?.Metadata.GetMetadata<AdminPage>() is not null)
        {
            context.Response.Redirect(login + "?returnUrl=" + Uri.EscapeDataString(context.Request.Path));
            return;
        }

        context.Response.Headers.WWWAuthenticate = "Bearer realm=\"tracking-admin\"";
        await TypedResults.Problem(
            statusCode: StatusCodes.Status401Unauthorized,
            title: "Admin key required",
            detail: $"Send the admin key ({admin.Setting}) as 'Authorization: Bearer <key>'{(admin.LoginPath is { } path ? $", or log in at {path}" : string.Empty)}.").ExecuteAsync(context);
    }
}
