using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Tracking.Api.Tests.Support;

namespace Tracking.Api.Tests.Integration;

/// <summary>
/// A property test over generated hostile requests, through Kestrel: mutated messages and batches,
/// random and broken encodings, lone surrogates, extreme numbers, deep nesting, huge keys, random
/// content types. Whatever arrives, the answer is 2xx or a 4xx problem document, nothing is logged as
/// an error, and the API is ready afterwards. The seed is printed with any failure; set
/// HOSTILE_FUZZ_SEED to replay it.
/// </summary>
public sealed class HostileInputFuzzTests
{
    private const int Cases = 4000;

    private static readonly string[] Messages =
    [
        """{"type":"track","userId":"u-1","event":"Order Completed","properties":{"total":12.5,"items":[{"sku":"a","qty":1}],"coupon":null},"timestamp":"2026-11-21T10:00:00.000Z"}""",
        """{"type":"identify","anonymousId":"a-1","traits":{"email":"x@example.com","plan":"pro","age":31},"context":{"locale":"fr-FR","page":{"path":"/"}}}""",
        """{"type":"page","userId":"u-1","name":"Home","properties":{"url":"https://example.com/"},"sentAt":"2026-11-21T10:00:01Z"}""",
        """{"type":"group","userId":"u-1","groupId":"g-1","traits":{"name":"Acme"},"integrations":{"All":true}}""",
        """{"type":"alias","userId":"u-1","previousId":"a-1","messageId":"m-1"}""",
        """{"type":"screen","anonymousId":"a-2","name":"Settings","originalTimestamp":"2026-11-21T09:59:59+01:00"}""",
    ];

    private static readonly string[] Tokens =
    [
        "{", "}", "[", "]", ",", ":", "\"", "\\", "null", "true", "false", "NaN", "Infinity", "-Infinity", "undefined",
        "1e999999", "-1e-999999", "-0", "0.0000000000000000000000000000001", "123456789012345678901234567890123456789",
        "\"\\ud800\"", "\"\\udc00\"", "\"\\ud83d\\ude00\"", "\"\\u0000\"", "\"\\uD800\\u0041\"", "\"\\u\"", "\"\\x41\"",
        "\uFEFF", "\u2028", "//", "/*", "'", "\"\u0001\"", "{\"type\":\"track\"}", "{\"batch\":[]}", "[[[[[[[[", "]]]]]]]]",
        "\"receivedAt\":\"1970-01-01T00:00:00Z\"", "\"context\":{\"ip\":\"::1\"}", "\"writeKey\":\"nope\"",
    ];

    private static readonly string[] Paths =
        ["/v1/track", "/v1/identify", "/v1/page", "/v1/screen", "/v1/group", "/v1/alias", "/v1/batch", "/v1/import", "/v1/t", "/v1/b", "/v1/m"];

    private static readonly string[] ContentTypes =
    [
        "application/json", "text/plain", "text/plain;charset=UTF-8", "application/json; charset=utf-16", "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x", "application/xml", "application/octet-stream", "application/json;;;", "*/*",
    ];

    private static readonly string[] UnknownEncodings = ["zstd", "compress", "identity", "x-gzip", "gzip, br", "br, br", "deflate, gzip", "GZIP ", "*", ""];

    private sealed record Case(int Index, string Kind, string Path, byte[] Body, string? ContentType, string[] Encodings, bool Chunked);

    [Fact]
    public async Task GeneratedHostileRequestsNeverGetA5xxAndEvery4xxIsAProblemDocument()
    {
        var seed = int.TryParse(System.Environment.GetEnvironmentVariable("HOSTILE_FUZZ_SEED"), out var fixedSeed) ? fixedSeed : Random.Shared.Next();
        var logs = new CapturedLogs();
        await using var api = new TrackingApiFactory(services: s => s.AddSingleton<ILoggerProvider>(logs));
        using var client = api.CreateAuthenticatedClient();
        var cases = Generate(seed).ToList();

        var wrong = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var wrongKinds = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var pending = new System.Collections.Concurrent.ConcurrentQueue<Case>(cases);
        await Task.WhenAll(Enumerable.Range(0, 6).Select(async _ =>
        {
            while (pending.TryDequeue(out var item))
            {
                if (await JudgeAsync(client, item) is { } problem)
                {
                    wrong.Enqueue($"{problem}\n  {Describe(item)}");
                    wrongKinds.Enqueue($"{problem[..Math.Min(3, problem.Length)]} {item.Kind}");
                }
            }
        }));

        Assert.True(wrong.IsEmpty, $"seed {seed} (HOSTILE_FUZZ_SEED={seed} to replay): {wrong.Count} of {cases.Count} requests answered wrongly ({string.Join("; ", wrongKinds.GroupBy(k => k).OrderByDescending(g => g.Count()).Select(g => $"{g.Count()}× {g.Key}"))}); first ones:\n{string.Join("\n", wrong.Take(5))}");
        var errors = logs.Entries.Where(e => e.Level >= LogLevel.Error).Select(e => $"{e.Category}: {e.Message}").ToList();
        Assert.True(errors.Count == 0, $"seed {seed}: a client's bytes were logged as errors ({errors.Count}), first: {errors.FirstOrDefault()}");
        using var ready = await client.GetAsync("/health/ready");
        Assert.True(ready.StatusCode == HttpStatusCode.OK, $"seed {seed}: /health/ready is {(int)ready.StatusCode} after the fuzzing: {await ready.Content.ReadAsStringAsync()}");
        using var normal = await client.PostAsync("/v1/track", Http.Json(Messages[0]));
        Assert.Equal(HttpStatusCode.OK, normal.StatusCode);
    }

    /// <summary>Null when the answer is right; otherwise what is wrong with it.</summary>
    private static async Task<string?> JudgeAsync(HttpClient client, Case item)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, item.Path);
        HttpContent content = item.Chunked ? new StreamContent(new MemoryStream(item.Body)) : new ByteArrayContent(item.Body);
        if (item.ContentType is not null)
        {
            content.Headers.TryAddWithoutValidation("Content-Type", item.ContentType);
        }

        foreach (var encoding in item.Encodings)
        {
            content.Headers.TryAddWithoutValidation("Content-Encoding", encoding);
        }

        request.Content = content;
        HttpResponseMessage response;
        try
        {
            response = await client.SendAsync(request);
        }
        catch (HttpRequestException ex)
        {
            return $"no answer: {ex.Message}";
        }

        using (response)
        {
            var status = (int)response.StatusCode;
            var text = await response.Content.ReadAsStringAsync();
            if (status >= 500)
            {
                return $"{status}: {Cut(text, 300)}";
            }

            if (status < 400)
            {
                return null;
            }

            if (response.Content.Headers.ContentType?.MediaType != "application/problem+json")
            {
                return $"{status} as {response.Content.Headers.ContentType}, not a problem document: {Cut(text, 300)}";
            }

            try
            {
                var problem = JsonNode.Parse(text)!.AsObject();
                if (problem["status"]?.GetValue<int>() != status || string.IsNullOrEmpty(problem["title"]?.GetValue<string>()))
                {
                    return $"{status} problem without its status or a title: {Cut(text, 300)}";
                }
            }
            catch (System.Text.Json.JsonException)
            {
                return $"{status} problem that is not JSON: {Cut(text, 300)}";
            }

            return null;
        }
    }

    private static IEnumerable<Case> Generate(int seed)
    {
        var random = new Random(seed);
        for (var i = 0; i < Cases; i++)
        {
            var path = Paths[random.Next(Paths.Length)];
            var (kind, body) = random.Next(10) switch
            {
                0 => ("byte flips", FlipBytes(random, Valid(random, path))),
                1 => ("truncated", Truncate(random, Valid(random, path))),
                2 => ("random tokens inserted", InsertTokens(random, Valid(random, path))),
                3 => ("lone surrogate", Utf8(InsertIntoString(random, Valid(random, path), random.Next(2) == 0 ? "\\ud800" : "\\uDFFF"))),
                4 => ("extreme number", Utf8(ReplaceValue(random, Valid(random, path), ExtremeNumber(random)))),
                5 => ("deep nesting", Utf8(ReplaceValue(random, Valid(random, path), Nested(random)))),
                6 => ("huge key", Utf8(HugeKey(random, Valid(random, path)))),
                7 => ("many members", Utf8(ManyMembers(random, Valid(random, path)))),
                8 => ("invalid UTF-8", InvalidUtf8(random, Valid(random, path))),
                _ => ("valid", Utf8(Valid(random, path))),
            };

            var contentType = random.Next(4) == 0 ? (random.Next(5) == 0 ? null : ContentTypes[random.Next(ContentTypes.Length)]) : "application/json";
            var encodings = Array.Empty<string>();
            switch (random.Next(8))
            {
                case 0:
                case 1:
                    var encoding = new[] { "gzip", "deflate", "br" }[random.Next(3)];
                    encodings = [encoding];
                    body = HostileBodyTests.Compress(encoding, body);
                    if (random.Next(2) == 0)
                    {
                        body = random.Next(3) switch
                        {
                            0 => FlipBytes(random, Encoding.Latin1.GetString(body), latin1: true),
                            1 => body[..random.Next(body.Length)],
                            _ => RandomBytes(random),
                        };
                        kind += $", {encoding} corrupted";
                    }
                    else
                    {
                        kind += $", {encoding}";
                    }

                    break;
                case 2:
                    encodings = [UnknownEncodings[random.Next(UnknownEncodings.Length)]];
                    kind += $", unknown encoding '{encodings[0]}'";
                    break;
                case 3:
                    // Named as compressed but sent as it is.
                    encodings = [new[] { "gzip", "deflate", "br" }[random.Next(3)]];
                    kind += $", plain under {encodings[0]}";
                    break;
            }

            yield return new Case(i, kind, path, body, contentType, encodings, Chunked: random.Next(4) == 0);
        }
    }

    private static string Valid(Random random, string path)
    {
        if (path == "/v1/m")
        {
            return """{"series":[{"type":"Counter","metric":"analytics_js.invoke","value":1,"tags":{"method":"track"}}]}""";
        }

        if (path is "/v1/batch" or "/v1/import" or "/v1/b")
        {
            var items = Enumerable.Range(0, random.Next(1, 5)).Select(_ => Messages[random.Next(Messages.Length)]);
            return "{\"batch\":[" + string.Join(",", items) + """],"sentAt":"2026-11-21T10:00:02Z","context":{"library":{"name":"fuzz"}},"writeKey":"ignored"}""";
        }

        // Single-message routes take their type from the route; the body's type is ignored.
        return Messages[random.Next(Messages.Length)];
    }

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    private static byte[] FlipBytes(Random random, string text, bool latin1 = false)
    {
        var bytes = latin1 ? Encoding.Latin1.GetBytes(text) : Utf8(text);
        var flips = random.Next(1, 6);
        for (var f = 0; f < flips && bytes.Length > 0; f++)
        {
            bytes[random.Next(bytes.Length)] ^= (byte)(1 << random.Next(8));
        }

        return bytes;
    }

    private static byte[] Truncate(Random random, string text)
    {
        var bytes = Utf8(text);
        return bytes[..random.Next(bytes.Length)];
    }

    private static byte[] InsertTokens(Random random, string text)
    {
        var builder = new StringBuilder(text);
        var count = random.Next(1, 4);
        for (var t = 0; t < count; t++)
        {
            builder.Insert(random.Next(builder.Length + 1), Tokens[random.Next(Tokens.Length)]);
        }

        return Utf8(builder.ToString());
    }

    /// <summary>Puts <paramref name="escape"/> just after an opening quote: into a key or a string value.</summary>
    private static string InsertIntoString(Random random, string text, string escape)
    {
        var quotes = Enumerable.Range(0, text.Length).Where(i => text[i] == '"').ToList();
        var at = quotes[random.Next(quotes.Count)] + 1;
        return text.Insert(at, escape);
    }

    /// <summary>Replaces the value after a random colon (outside strings in these documents) with <paramref name="value"/>.</summary>
    private static string ReplaceValue(Random random, string text, string value)
    {
        var colons = Enumerable.Range(0, text.Length).Where(i => text[i] == ':' && text[i - 1] == '"').ToList();
        var at = colons[random.Next(colons.Count)] + 1;
        var end = EndOfValue(text, at);
        return string.Concat(text.AsSpan(0, at), value, text.AsSpan(end));
    }

    private static int EndOfValue(string text, int start)
    {
        var depth = 0;
        var inString = false;
        for (var i = start; i < text.Length; i++)
        {
            var c = text[i];
            if (inString)
            {
                if (c == '\\')
                {
                    i++;
                }
                else if (c == '"')
                {
                    inString = false;
                    if (depth == 0)
                    {
                        return i + 1;
                    }
                }
            }
            else if (c == '"')
            {
                inString = true;
            }
            else if (c is '{' or '[')
            {
                depth++;
            }
            else if (c is '}' or ']')
            {
                if (depth == 0)
                {
                    return i;
                }

                depth--;
                if (depth == 0)
                {
                    return i + 1;
                }
            }
            else if (c == ',' && depth == 0)
            {
                return i;
            }
        }

        return text.Length;
    }

    private static string ExtremeNumber(Random random) => random.Next(8) switch
    {
        0 => "1" + new string('0', random.Next(300, 20_000)),
        1 => "1e" + random.Next(309, int.MaxValue),
        2 => "-1e-" + random.Next(325, int.MaxValue),
        3 => "-0.0",
        4 => "0." + new string('0', random.Next(1000, 10_000)) + "1",
        5 => "18446744073709551616",
        6 => "-9223372036854775809",
        _ => "1.7976931348623157e309",
    };

    private static string Nested(Random random)
    {
        var depth = random.Next(2) == 0 ? random.Next(60, 70) : random.Next(100, 20_000);
        return random.Next(2) == 0
            ? new string('[', depth) + new string(']', depth)
            : string.Concat(Enumerable.Repeat("{\"a\":", depth)) + "1" + new string('}', depth);
    }

    private static string HugeKey(Random random, string text)
    {
        var key = new string((char)random.Next('a', 'z' + 1), random.Next(1_000, 40_000));
        var at = text.IndexOf('{', StringComparison.Ordinal) + 1;
        var target = random.Next(3) switch
        {
            0 => at,
            _ => text.IndexOf("\"properties\":{", StringComparison.Ordinal) is var p and >= 0 ? p + 14 : at,
        };
        var separator = text[target] == '}' ? "" : ",";
        return text.Insert(target, $"\"{key}\":1{separator}");
    }

    private static string ManyMembers(Random random, string text)
    {
        var duplicate = random.Next(2) == 0;
        var members = string.Join(",", Enumerable.Range(0, random.Next(100, 6_000)).Select(i => duplicate ? "\"k\":0" : $"\"k{i}\":0"));
        var field = new[] { "\"properties\":{", "\"traits\":{", "\"context\":{" }[random.Next(3)];
        var at = text.IndexOf(field, StringComparison.Ordinal);
        if (at < 0)
        {
            return text.Insert(1, $"{field}{members}}},");
        }

        at += field.Length;
        var separator = text[at] == '}' ? "" : ",";
        return text.Insert(at, members + separator);
    }

    private static byte[] InvalidUtf8(Random random, string text)
    {
        byte[][] sequences = [[0xff], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xef, 0xbb, 0xbf]];
        var bytes = Utf8(InsertIntoString(random, text, "\u0001")).ToList();
        var at = bytes.IndexOf(0x01);
        bytes.RemoveAt(at);
        bytes.InsertRange(at, sequences[random.Next(sequences.Length)]);
        return [.. bytes];
    }

    private static byte[] RandomBytes(Random random)
    {
        var bytes = new byte[random.Next(1, 600)];
        random.NextBytes(bytes);
        return bytes;
    }

    private static string Describe(Case item)
    {
        var shown = Encoding.UTF8.GetString(item.Body);
        var printable = item.Encodings.Length > 0 && !item.Kind.Contains("plain under", StringComparison.Ordinal)
            ? "base64:" + Convert.ToBase64String(item.Body)
            : shown;
        return $"case {item.Index} ({item.Kind}) POST {item.Path} Content-Type: {item.ContentType ?? "(none)"} Content-Encoding: {string.Join(" | ", item.Encodings)}{(item.Chunked ? " chunked" : "")} body ({item.Body.Length} bytes): {Cut(printable, 600)}";
    }

    private static string Cut(string text, int length) => text.Length <= length ? text : text[..length] + $"… ({text.Length} chars)";
}
