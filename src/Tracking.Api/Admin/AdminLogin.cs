using System.Net;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Tracking.ServiceDefaults;

namespace Tracking.Api.Admin;

/// <summary>
/// The login form for the operations pages: the key is posted in the body, never put in a URL, and
/// exchanged for the session cookie (<see cref="AdminSession"/>); logout drops the cookie.
/// </summary>
internal static class AdminLogin
{
    public const string Path = "/admin/login";
    private const string LogoutPath = "/admin/logout";

    /// <summary>The pages a login may return to; any other <c>returnUrl</c> goes to the status page (no open redirect).</summary>
    private static readonly string[] ReturnPages = ["/status", "/debugger"];

    public static IEndpointRouteBuilder MapAdminLogin(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("").ExcludeFromDescription();
        group.MapGet(Path, (string? returnUrl) => Page(ReturnTo(returnUrl), error: null, StatusCodes.Status200OK));
        group.MapPost(Path, LoginAsync);
        group.MapPost(LogoutPath, (HttpContext http, TimeProvider time) =>
        {
            http.Response.Cookies.Delete(AdminSession.CookieName, AdminSession.Options(http.Request, time.GetUtcNow()));
            return TypedResults.Redirect(Path, permanent: false, preserveMethod: false);
        });
        return app;
    }

    private static async Task<Results<RedirectHttpResult, ContentHttpResult>> LoginAsync(
        HttpContext http, IOptions<AdminOptions> admin, AdminKeyGuesses guesses, TimeProvider time, CancellationToken cancellationToken)
    {
        string? key = null;
        string? returnUrl = null;
        if (http.Request.HasFormContentType)
        {
            var form = await http.Request.ReadFormAsync(cancellationToken);
            key = form["key"].ToString();
            returnUrl = form["returnUrl"].ToString();
        }

        var target = ReturnTo(returnUrl);
        if (CrossSite(http.Request))
        {
            // Another site's page posting here (a form needs no CORS) must neither log anyone in nor count as a guess,
            // or any page an operator visits could shut the operator's own address out.
            return Page(target, "The login form must be sent from this site's own login page.", StatusCodes.Status403Forbidden);
        }

        if (string.IsNullOrEmpty(key))
        {
            return Page(target, "Enter the admin key.", StatusCodes.Status401Unauthorized);
        }

        var address = ClientAddress.KeyOf(http.Connection.RemoteIpAddress);
        if (guesses.LockedOut(address, out var retryAfter))
        {
            // Not even a right key is let in now, so a guess that happens to be right tells nothing either.
            var seconds = AdminKeyGuesses.RetryAfterSeconds(retryAfter);
            http.Response.Headers.RetryAfter = seconds;
            return Page(target, $"Too many wrong keys from this address: try again in {seconds} seconds.", StatusCodes.Status429TooManyRequests);
        }

        if (admin.Value.AdminKey is not { Length: > 0 } configured || !AdminKeyCheck.Matches(configured, key))
        {
            guesses.Wrong(address);
            return Page(target, "That is not the admin key.", StatusCodes.Status401Unauthorized);
        }

        var now = time.GetUtcNow();
        http.Response.Cookies.Append(AdminSession.CookieName, AdminSession.Issue(configured, now), AdminSession.Options(http.Request, now));

        // A redirect after the post: browsers follow it with a GET, so a reload does not post the key again.
        return TypedResults.Redirect(target);
    }

    /// <summary>
    /// True when a browser says the post comes from another site: <c>Sec-Fetch-Site</c> (every current browser), else an
    /// <c>Origin</c> that is not this host. Clients that send neither (curl, scripts) are not browsers on another site.
    /// </summary>
    private static bool CrossSite(HttpRequest request)
    {
        var fetchSite = request.Headers["Sec-Fetch-Site"].ToString();
        if (fetchSite.Length > 0)
        {
            return fetchSite is not ("same-origin" or "none");
        }

        var origin = request.Headers.Origin.ToString();
        return origin.Length > 0 &&
               (!Uri.TryCreate(origin, UriKind.Absolute, out var from) ||
                !string.Equals(from.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase));
    }

    private static string ReturnTo(string? returnUrl) =>
        ReturnPages.FirstOrDefault(page => string.Equals(page, returnUrl, StringComparison.Ordinal)) ?? ReturnPages[0];

    private static ContentHttpResult Page(string returnTo, string? error, int status)
    {
        var html = AdminAssets.Text("login.html")
            .Replace("{{returnUrl}}", WebUtility.HtmlEncode(returnTo), StringComparison.Ordinal)
            .Replace("<!--error-->", error is null ? "" : $"<p class=\"error\" role=\"alert\">{WebUtility.HtmlEncode(error)}</p>", StringComparison.Ordinal);
        return TypedResults.Content(html, "text/html; charset=utf-8", statusCode: status);
    }
}
