using System.Net;
using System.Text;
using Tracking.Api.Tests.Support;

namespace Tracking.Api.Tests.Integration;

/// <summary>Throws thousands of generated bad bodies at the API: every answer must be a 4xx problem document.</summary>
public class MalformedInputTests
{
    private const string Valid = """{"batch":[{"type":"track","userId":"u-1","event":"Clicked","properties":{"x":[1,2,{"y":"z"}],"ok":true},"timestamp":"2026-11-21T10:00:00Z"}],"sentAt":"2026-11-21T10:00:01Z"}""";

    private static IEnumerable<(string Path, byte[] Body, string Kind)> Generate(int seed)
    {
        var random = new Random(seed);
        var valid = Encoding.UTF8.GetBytes(Valid);

        // A valid document cut anywhere before its end is never valid JSON.
        for (var i = 0; i < 600; i++)
        {
            yield return ("/v1/batch", valid[..random.Next(0, valid.Length - 1)], "truncated");
        }

        // Random bytes that start with something no JSON value starts with.
        for (var i = 0; i < 600; i++)
        {
            var bytes = new byte[random.Next(1, 400)];
            random.NextBytes(bytes);
            bytes[0] = (byte)"}]:,)#'<"[random.Next(8)];
            yield return (i % 2 == 0 ? "/v1/batch" : "/v1/track", bytes, "garbage");
        }

        // One structural character of a valid document replaced by one that breaks it.
        var structural = StructuralPositions(valid);
        for (var i = 0; i < 600; i++)
        {
            var bytes = (byte[])valid.Clone();
            bytes[structural[random.Next(structural.Length)]] = (byte)"@;=\\"[random.Next(4)];
            yield return ("/v1/batch", bytes, "corrupted");
        }

        // Well-formed JSON of the wrong shape or with the wrong kinds of values.
        string[] shapes =
        [
            "[]", "null", "42", "\"text\"", "{}", """{"batch":{}}""", """{"batch":[]}""", """{"batch":"x"}""",
            """{"batch":[null]}""", """{"batch":[{"type":"track"}]}""", """{"batch":[{"type":5,"userId":"u"}]}""",
            """{"batch":[{"type":"track","userId":"u","event":["x"]}]}""", """{"batch":[{"type":"group","userId":"u"}]}""",
            """{"batch":[{"type":"track","userId":{},"event":"e"}]}""", """{"batch":[{"type":"track","userId":"u","event":"e","timestamp":"not a date"}]}""",
        ];
        for (var i = 0; i < 600; i++)
        {
            yield return ("/v1/batch", Encoding.UTF8.GetBytes(shapes[random.Next(shapes.Length)]), "wrong shape");
        }

        string[] singleShapes =
        [
            "{}", """{"event":"no user"}""", """{"userId":"u"}""", """{"userId":"u","event":"e","properties":"p"}""",
            """{"userId":"u","event":"e","context":[]}""", """{"userId":true,"event":"e"}""", new string('[', 100) + new string(']', 100),
        ];
        for (var i = 0; i < 600; i++)
        {
            yield return ("/v1/track", Encoding.UTF8.GetBytes(singleShapes[random.Next(singleShapes.Length)]), "invalid message");
        }
    }

    /// <summary>Positions of braces, brackets and colons outside strings: breaking one always breaks the document.</summary>
    private static int[] StructuralPositions(byte[] json)
    {
        var positions = new List<int>();
        var inString = false;
        for (var i = 0; i < json.Length; i++)
        {
            var b = json[i];
            if (inString)
            {
                if (b == '\\')
                {
                    i++;
                }
                else if (b == '"')
                {
                    inString = false;
                }
            }
            else if (b == '"')
            {
                inString = true;
            }
            else if (b is (byte)'{' or (byte)'}' or (byte)'[' or (byte)']' or (byte)':')
            {
                positions.Add(i);
            }
        }

        return [.. positions];
    }

    [Fact]
    public async Task ThousandsOfMalformedBodiesAllGet4xxProblemDocumentsAndTheApiStaysHealthy()
    {
        await using var api = new TrackingApiFactory();
        using var client = api.CreateAuthenticatedClient();
        var bodies = Generate(seed: 20261121).ToList();
        Assert.True(bodies.Count >= 3000);

        var wrong = new System.Collections.Concurrent.ConcurrentBag<string>();
        var queue = new System.Collections.Concurrent.ConcurrentQueue<(string Path, byte[] Body, string Kind)>(bodies);
        await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
        {
            while (queue.TryDequeue(out var item))
            {
                var content = new ByteArrayContent(item.Body);
                content.Headers.ContentType = new("application/json");
                var response = await client.PostAsync(item.Path, content);
                var status = (int)response.StatusCode;
                if (status is < 400 or >= 500 || response.Content.Headers.ContentType?.MediaType != "application/problem+json")
                {
                    wrong.Add($"{item.Kind} → {status} {response.Content.Headers.ContentType}: {Encoding.UTF8.GetString(item.Body)[..Math.Min(80, item.Body.Length)]}");
                }
            }
        }));

        Assert.True(wrong.IsEmpty, string.Join("\n", wrong.Take(10)));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/ready")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("/v1/batch", Http.Json(Valid))).StatusCode);

        await api.ShutdownAsync();
        Assert.Single(Outbox.ReadEvents(api.OutboxDirectory));
    }
}
