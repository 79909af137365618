using System.Security.Cryptography;
using System.Text;

namespace Tracking.ServiceDefaults;

/// <summary>
/// The admin key rules the API and the consumer share (<c>Tracking:AdminKey</c>, <c>Consumer:AdminKey</c>):
/// how long a key must be, and comparing a presented key without leaking through timing how much of it matched.
/// </summary>
public static class AdminKeyCheck
{
    /// <summary>The shortest admin key accepted at start-up: the key is the only guard of the operations pages.</summary>
    public const int MinimumLength = 16;

    /// <summary>The longest presented key compared; anything longer is refused unread.</summary>
    public const int MaximumLength = 1024;

    /// <summary>Why <paramref name="key"/>, when set, cannot be an admin key; null when it can.</summary>
    public static string? Problem(string setting, string? key)
    {
        if (key is null)
        {
            return null;
        }

        if (key.Length < MinimumLength || key.Length > MaximumLength)
        {
            return $"{setting} must be {MinimumLength} to {MaximumLength} characters long (it has {key.Length}); leave it unset to turn the operations endpoints off.";
        }

        return key.Trim().Length != key.Length ? $"{setting} must not begin or end with white space." : null;
    }

    /// <summary>True when <paramref name="presented"/> is <paramref name="configured"/>; takes the same time whatever the two hold.</summary>
    public static bool Matches(string configured, string? presented)
    {
        if (presented is null || presented.Length > MaximumLength)
        {
            return false;
        }

        // Hashing first gives both sides one length, so the comparison's time says nothing about the key's length either.
        Span<byte> expected = stackalloc byte[SHA256.HashSizeInBytes];
        Span<byte> actual = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(configured), expected);
        SHA256.HashData(Encoding.UTF8.GetBytes(presented), actual);
        return CryptographicOperations.FixedTimeEquals(expected, actual);
    }

    /// <summary>The key of an <c>Authorization: Bearer &lt;key&gt;</c> header value; null for any other scheme.</summary>
    public static string? FromBearer(string? authorization)
    {
        const string Scheme = "Bearer ";
        return authorization is not null && authorization.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase)
            ? authorization[Scheme.Length..].Trim()
            : null;
    }
}
