using Microsoft.AspNetCore.Http;

namespace Tracking.ServiceDefaults;

/// <summary>
/// Where a host's admin key comes from and how a refusal names it: the API's <c>Tracking:AdminKey</c> (with its
/// login form's session cookie), the consumer's <c>Consumer:AdminKey</c> (bearer only).
/// </summary>
/// <param name="Setting">The setting that holds the key, named in every refusal.</param>
/// <param name="Current">The key now (read per request, so validated options decide), or null when none is set.</param>
public sealed record AdminKey(string Setting, Func<IServiceProvider, string?> Current)
{
    /// <summary>The login form's path, for pages (<see cref="AdminAccess.AsAdminPage{TBuilder}"/>) and the 401's advice; null when the host has none.</summary>
    public string? LoginPath { get; init; }

    /// <summary>Whether a request without a bearer key carries a valid session for <c>key</c> (the login form's cookie); null when the host has no sessions.</summary>
    public Func<HttpContext, string, bool>? Session { get; init; }
}
