using System.Net;
using Tracking.Api.Documentation;
using Tracking.Api.Tests.Support;

namespace Tracking.Api.Tests.Integration;

/// <summary>
/// What Swagger UI's "Try it out" needs from the API, and what SDKs must keep: a 401 carries the Basic
/// challenge (RFC 9110) except to requests marked as a script's, and Swagger UI signs with a development
/// key only when every key is accepted. The browser side is tests/admin-ui/swagger-ui.test.mjs.
/// </summary>
public class SwaggerUiTests
{
    [Theory]
    [InlineData("header")]
    [InlineData("body")]
    public async Task AnSdksUnknownWriteKeyIsChallengedWithBasicAndAScriptsRequestGetsTheSame401WithoutTheChallenge(string where)
    {
        await using var api = new TrackingApiFactory();
        using var client = api.CreateClient();

        async Task<HttpResponseMessage> SendAsync(bool fromScript)
        {
            var body = where == "body" ? """{"userId":"u","event":"E","writeKey":"wrong-key"}""" : """{"userId":"u","event":"E"}""";
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/track") { Content = Http.Json(body) };
            if (where == "header")
            {
                request.Headers.Authorization = new("Basic", Convert.ToBase64String("wrong-key:"u8.ToArray()));
            }

            if (fromScript)
            {
                request.Headers.Add("X-Requested-With", "XMLHttpRequest");
            }

            return await client.SendAsync(request);
        }

        using var sdk = await SendAsync(fromScript: false);
        await sdk.ProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Equal("Basic", Assert.Single(sdk.Headers.WwwAuthenticate).Scheme);

        using var script = await SendAsync(fromScript: true);
        var problem = await script.ProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Empty(script.Headers.WwwAuthenticate);
        Assert.Contains("Username, Password left empty", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task InDevelopmentWithoutWriteKeysSwaggerUiSignsItsRequestsWithTheDevelopmentKeyWhichIsAccepted()
    {
        await using var api = new TrackingApiFactory(environment: "Development", withWriteKey: false);
        using var client = api.CreateClient();

        var page = await client.GetStringAsync("/swagger/index.js");

        Assert.Contains(System.Text.Json.JsonEncodedText.Encode(SwaggerUiRequests.DevelopmentAuthorization).Value, page, StringComparison.Ordinal);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/track") { Content = Http.Json("""{"userId":"u","event":"E"}""") };
        request.Headers.TryAddWithoutValidation("Authorization", SwaggerUiRequests.DevelopmentAuthorization);
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(request)).StatusCode);
    }

    [Theory]
    [InlineData("Development")]
    [InlineData("Production")]
    public async Task WithWriteKeysConfiguredSwaggerUiSignsNothing(string environment)
    {
        await using var api = new TrackingApiFactory(environment: environment);
        using var client = api.CreateClient();

        var page = await client.GetStringAsync("/swagger/index.js");

        Assert.Contains("X-Requested-With", page, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToBase64String("development:"u8.ToArray()), page, StringComparison.Ordinal);
        Assert.DoesNotContain("request.headers.Authorization =", System.Text.RegularExpressions.Regex.Unescape(page), StringComparison.Ordinal);
    }
}
