using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Tracking.Testing.Aws;

namespace Tracking.Aws.Tests.Integration;

/// <summary>
/// Verifies a received request's SigV4 signature from first principles (canonical request, string to sign,
/// HMAC-SHA256 key chain), independently of AWSSDK.Core, as a service would: proves that what went over the
/// wire is what was signed.
/// </summary>
internal static partial class ReferenceSigV4
{
    public static bool Verify(RecordedRequest request, string secretKey)
    {
        var authorization = AuthorizationPattern().Match(request.Header("Authorization") ?? string.Empty);
        if (!authorization.Success)
        {
            return false;
        }

        var scope = authorization.Groups["scope"].Value;
        var scopeParts = scope.Split('/');
        var signedHeaders = authorization.Groups["headers"].Value;
        var amzDate = request.Header("X-Amz-Date") ?? string.Empty;

        var canonicalHeaders = new StringBuilder();
        foreach (var name in signedHeaders.Split(';'))
        {
            canonicalHeaders.Append(CultureInfo.InvariantCulture, $"{name}:{request.Header(name)?.Trim()}\n");
        }

        var canonicalRequest = $"{request.Method}\n{request.Path}\n\n{canonicalHeaders}\n{signedHeaders}\n{Hex(SHA256.HashData(request.Body))}";
        var stringToSign = $"AWS4-HMAC-SHA256\n{amzDate}\n{scope}\n{Hex(SHA256.HashData(Encoding.UTF8.GetBytes(canonicalRequest)))}";

        var key = Encoding.UTF8.GetBytes("AWS4" + secretKey);
        foreach (var part in scopeParts)
        {
            key = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(part));
        }

        var expected = Hex(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(stringToSign)));
        return expected == authorization.Groups["signature"].Value;
    }

    private static string Hex(byte[] bytes) => Convert.ToHexStringLower(bytes);

    [GeneratedRegex(@"^AWS4-HMAC-SHA256 Credential=[^/]+/(?<scope>[^,]+), SignedHeaders=(?<headers>[^,]+), Signature=(?<signature>[0-9a-f]{64})$")]
    private static partial Regex AuthorizationPattern();
}
