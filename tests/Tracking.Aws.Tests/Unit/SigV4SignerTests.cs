using System.Security.Cryptography;
using System.Text;
using Amazon.Runtime;
using Tracking.Aws.Signing;

namespace Tracking.Aws.Tests.Unit;

/// <summary>
/// The signer wired into the clients, checked against AWS's published Signature Version 4 test suite
/// (credentials AKIDEXAMPLE / wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY, us-east-1, service "service",
/// 2015-08-30T12:36:00Z, host example.amazonaws.com).
/// </summary>
public class SigV4SignerTests
{
    private const string SuiteSessionToken =
        "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==";

    private static readonly ImmutableCredentials SuiteCredentials = new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", token: null);
    private static readonly DateTime SuiteDate = new(2015, 8, 30, 12, 36, 0, DateTimeKind.Utc);
    private static readonly Uri SuiteHost = new("https://example.amazonaws.com/");

    [Fact]
    public void GetVanillaGetsTheSignaturePublishedInTheAwsTestSuite()
    {
        var authorization = Sign("GET", Headers(), body: "", SuiteCredentials);

        Assert.Equal(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
            authorization);
    }

    [Fact]
    public void PostVanillaGetsTheSignaturePublishedInTheAwsTestSuite()
    {
        var authorization = Sign("POST", Headers(), body: "", SuiteCredentials);

        Assert.Equal(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b",
            authorization);
    }

    [Fact]
    public void PostWithAFormBodyGetsTheSignaturePublishedInTheAwsTestSuite()
    {
        var authorization = Sign("POST", Headers(("Content-Type", "application/x-www-form-urlencoded")), body: "Param1=value1", SuiteCredentials);

        Assert.Equal(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a",
            authorization);
    }

    [Fact]
    public void SessionTokenIsSignedAsInTheAwsTestSuitesPostStsHeaderBefore()
    {
        var headers = Headers();
        var credentials = new ImmutableCredentials(SuiteCredentials.AccessKey, SuiteCredentials.SecretKey, SuiteSessionToken);

        var authorization = Sign("POST", headers, body: "", credentials);

        Assert.Equal(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date;x-amz-security-token, Signature=85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead",
            authorization);
        Assert.Equal(SuiteSessionToken, headers["X-Amz-Security-Token"]);
    }

    [Fact]
    public void SigningAddsTheHostAndTheAmzDateHeaders()
    {
        var headers = Headers();

        Sign("POST", headers, body: "", SuiteCredentials);

        Assert.Equal("example.amazonaws.com", headers["host"]);
        Assert.Equal("20150830T123600Z", headers["X-Amz-Date"]);
        Assert.False(headers.ContainsKey("X-Amz-Security-Token"));
    }

    private static Dictionary<string, string> Headers(params (string Name, string Value)[] headers) =>
        headers.ToDictionary(h => h.Name, h => h.Value, StringComparer.OrdinalIgnoreCase);

    private static string Sign(string method, Dictionary<string, string> headers, string body, ImmutableCredentials credentials) =>
        SigV4Signer.Sign(
            method,
            SuiteHost,
            "/",
            headers,
            Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(body))),
            credentials,
            "us-east-1",
            "service",
            SuiteDate);
}
