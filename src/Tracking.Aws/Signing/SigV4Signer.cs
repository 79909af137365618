using Amazon.Runtime;
using Amazon.Runtime.Internal.Auth;

namespace Tracking.Aws.Signing;

/// <summary>
/// Signs requests with AWSSDK.Core's Signature Version 4 implementation. Deriving from
/// <see cref="AWS4Signer"/> gives access to its protected canonicalisation helpers, so the canonical request,
/// the string to sign and the signing key all come from the SDK, without its request pipeline.
/// </summary>
internal sealed class SigV4Signer : AWS4Signer
{
    private const string SecurityTokenHeader = "X-Amz-Security-Token";

    private SigV4Signer()
    {
    }

    /// <summary>
    /// Adds <c>host</c>, <c>X-Amz-Date</c> and, for temporary credentials, <c>X-Amz-Security-Token</c> to
    /// <paramref name="headers"/>, signs every header in it and returns the <c>Authorization</c> value.
    /// </summary>
    /// <param name="httpMethod">The request method, e.g. <c>POST</c>.</param>
    /// <param name="endpoint">The URL the request goes to; its host (and non-default port) is signed.</param>
    /// <param name="resourcePath">The path to sign, e.g. <c>/</c>.</param>
    /// <param name="headers">Headers to sign; the signer adds its own to it. Use a case-insensitive dictionary.</param>
    /// <param name="payloadSha256Hex">The lowercase hex SHA-256 of the body.</param>
    /// <param name="credentials">The access key, secret key and optional session token.</param>
    /// <param name="region">The signing region, e.g. <c>us-east-1</c>.</param>
    /// <param name="service">The signing name, e.g. <c>kinesis</c> or <c>firehose</c>.</param>
    /// <param name="signedAtUtc">The signing time, which becomes <c>X-Amz-Date</c>.</param>
    public static string Sign(
        string httpMethod,
        Uri endpoint,
        string resourcePath,
        IDictionary<string, string> headers,
        string payloadSha256Hex,
        ImmutableCredentials credentials,
        string region,
        string service,
        DateTime signedAtUtc)
    {
        if (credentials.UseToken)
        {
            headers[SecurityTokenHeader] = credentials.Token;
        }

        InitializeHeaders(headers, endpoint, signedAtUtc);
        var sortedHeaders = SortAndPruneHeaders(headers);
        var canonicalRequest = CanonicalizeRequest(endpoint, resourcePath, httpMethod, sortedHeaders, canonicalQueryString: string.Empty, payloadSha256Hex);
        var signedHeaders = CanonicalizeHeaderNames(sortedHeaders);
        var result = ComputeSignature(credentials, region, signedAtUtc, service, signedHeaders, canonicalRequest);
        return result.ForAuthorizationHeader;
    }
}
