using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Tracking.Testing;

namespace Tracking.Api.Tests.Support;

public static class Http
{
    public static StringContent Json(string json, string mediaType = "application/json") => new(json, Encoding.UTF8, mediaType);

    public static ByteArrayContent Gzip(string json, string mediaType = "application/json")
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest))
        {
            gzip.Write(Encoding.UTF8.GetBytes(json));
        }

        var content = new ByteArrayContent(buffer.ToArray());
        content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
        content.Headers.ContentEncoding.Add("gzip");
        return content;
    }

    public static async Task<JsonObject> ReadJsonAsync(this HttpResponseMessage response) =>
        JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();

    /// <summary>Asserts an RFC 9457 problem document with the given status and returns it.</summary>
    public static async Task<JsonObject> ProblemAsync(this HttpResponseMessage response, HttpStatusCode status)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"Expected {(int)status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonNode.Parse(body)!.AsObject();
        Assert.Equal((int)status, problem["status"]!.GetValue<int>());
        Assert.False(string.IsNullOrEmpty(problem["title"]?.GetValue<string>()));
        return problem;
    }

    /// <summary>Waits until <c>/health/ready</c> answers 503 because of the sink, and returns the reason it gives.</summary>
    public static async Task<string> SinkUnreadyReasonAsync(this HttpClient client)
    {
        var description = "";
        await Eventually.TrueAsync(async () =>
        {
            using var ready = await client.GetAsync("/health/ready");
            description = (await ready.ReadJsonAsync())["checks"]!["sink"]!["description"]?.GetValue<string>() ?? "";
            return ready.StatusCode == HttpStatusCode.ServiceUnavailable && description.Length > 0;
        }, "readiness reports the sink unhealthy");
        return description;
    }
}
