using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Tracking.Api.Admin;

/// <summary>
/// The browser's proof that it was given the admin key: an HttpOnly, SameSite=Strict cookie holding an
/// expiry and an HMAC of it keyed with the admin key. Nothing is stored on the server, every instance
/// sharing the key accepts it, a restart keeps it valid, and changing the key ends every session.
/// </summary>
internal static class AdminSession
{
    public const string CookieName = "tracking_admin";

    /// <summary>How long a login lasts.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(12);

    public static string Issue(string adminKey, DateTimeOffset now)
    {
        var expires = (now + Lifetime).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        return $"{expires}.{Signature(adminKey, expires)}";
    }

    public static bool IsValid(string adminKey, string? cookie, DateTimeOffset now)
    {
        var dot = cookie?.IndexOf('.', StringComparison.Ordinal) ?? -1;
        if (cookie is null || dot <= 0 || cookie.Length > 200)
        {
            return false;
        }

        var expires = cookie[..dot];
        if (!long.TryParse(expires, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) || seconds <= now.ToUnixTimeSeconds())
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(
            Encoding.ASCII.GetBytes(Signature(adminKey, expires)),
            Encoding.ASCII.GetBytes(cookie[(dot + 1)..]));
    }

    public static CookieOptions Options(HttpRequest request, DateTimeOffset now) => new()
    {
        HttpOnly = true,
        SameSite = SameSiteMode.Strict,
        Secure = request.IsHttps,
        Path = "/",
        Expires = now + Lifetime,
        IsEssential = true,
    };

    private static string Signature(string adminKey, string expires) =>
        Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(adminKey), Encoding.ASCII.GetBytes("tracking-admin-session:" + expires)))
            .TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
