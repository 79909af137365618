using System.Diagnostics;
using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Tracking.Api.Tests.Support;

namespace Tracking.Api.Tests.Integration;

/// <summary>
/// Bodies a hostile or broken client sends on purpose: stalled, slow, oversized, mis-framed or
/// corrupt under their Content-Encoding. Each must get a 4xx problem document, never a 500, and
/// never an Error in the log. Slow and stalled bodies go over a raw socket, so the client decides
/// exactly which bytes arrive and when.
/// </summary>
public sealed class HostileBodyTests : IAsyncLifetime
{
    private const string Track = """{"type":"track","userId":"u-1","event":"Clicked","properties":{"plan":"pro"}}""";
    private const string Batch = """{"batch":[{"type":"track","userId":"u-1","event":"Clicked"},{"type":"identify","userId":"u-1","traits":{"plan":"pro"}}]}""";

    // Kestrel's MinRequestBodyDataRate (240 bytes/s after a 5 s grace) plus room for a loaded machine.
    private static readonly TimeSpan SlowBodyAnswerWithin = TimeSpan.FromSeconds(15);

    private readonly CapturedLogs _logs = new();
    private TrackingApiFactory _api = null!;
    private HttpClient _client = null!;

    public Task InitializeAsync()
    {
        _api = new TrackingApiFactory(services: s => s.AddSingleton<ILoggerProvider>(_logs));
        _client = _api.CreateAuthenticatedClient();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _api.DisposeAsync();
    }

    [Fact]
    public async Task ABodyThatStallsBeforeItsContentLengthGetsA408ProblemWithinTheDataRateGrace()
    {
        var partial = Encoding.UTF8.GetBytes(Track)[..20];

        var (response, elapsed) = await RawAsync(Head("/v1/track", "Content-Length: 1000"), partial);

        AssertProblem(response, 408);
        Assert.True(elapsed < SlowBodyAnswerWithin, $"408 came after {elapsed.TotalSeconds:0.0} s");
        AssertNoErrorLogged();
    }

    [Fact]
    public async Task AChunkedBodyThatStallsMidChunkGetsA408ProblemWithinTheDataRateGrace()
    {
        var firstChunk = Encoding.ASCII.GetBytes("40\r\n" + Track[..16]);

        var (response, elapsed) = await RawAsync(Head("/v1/track", "Transfer-Encoding: chunked"), firstChunk);

        AssertProblem(response, 408);
        Assert.True(elapsed < SlowBodyAnswerWithin, $"408 came after {elapsed.TotalSeconds:0.0} s");
        AssertNoErrorLogged();
    }

    [Fact]
    public async Task ABodyTrickledBelowTheMinimumDataRateGetsA408Problem()
    {
        var body = Encoding.UTF8.GetBytes(Track.Replace("pro", new string('p', 4000), StringComparison.Ordinal));
        using var tcp = await ConnectAsync();
        var stream = tcp.GetStream();
        await stream.WriteAsync(Head("/v1/track", $"Content-Length: {body.Length}"));
        var answer = ReadResponseAsync(new ResponseReader(stream), SlowBodyAnswerWithin);

        // 20 bytes every half second is 40 bytes/s, a sixth of Kestrel's minimum rate.
        using var pace = new PeriodicTimer(TimeSpan.FromMilliseconds(500));
        var clock = Stopwatch.StartNew();
        var sent = 0;
        while (!answer.IsCompleted && sent < body.Length && await pace.WaitForNextTickAsync())
        {
            var next = Math.Min(20, body.Length - sent);
            try
            {
                await stream.WriteAsync(body.AsMemory(sent, next));
            }
            catch (IOException)
            {
                break; // The server answered and closed the connection.
            }

            sent += next;
        }

        var response = await answer;
        AssertProblem(response, 408);
        Assert.True(clock.Elapsed < SlowBodyAnswerWithin, $"408 came after {clock.Elapsed.TotalSeconds:0.0} s");
        AssertNoErrorLogged();
    }

    [Theory]
    [InlineData("/v1/batch", 600_000)]
    [InlineData("/v1/track", 40_000)]
    [InlineData("/v1/batch", 99_999_999_999)]
    public async Task ABodyDeclaredLargerThanTheLimitGetsA413BeforeItIsSent(string path, long contentLength)
    {
        // Nothing of the body is sent: the answer must come from the header alone, before Kestrel's data-rate grace.
        var (response, elapsed) = await RawAsync(Head(path, $"Content-Length: {contentLength}"), []);

        AssertProblem(response, 413);
        Assert.True(elapsed < TimeSpan.FromSeconds(4), $"413 came after {elapsed.TotalSeconds:0.0} s: the body was waited for");
        AssertNoErrorLogged();
    }

    [Theory]
    [InlineData("/v1/batch", 600 * 1024)]
    [InlineData("/v1/track", 40 * 1024)]
    [InlineData("/v1/batch", 3 * 1024 * 1024)]
    public async Task AChunkedBodyLargerThanTheLimitGetsA413(string path, int size)
    {
        // StreamContent without a length goes out chunked.
        var content = new StreamContent(new MemoryStream(PaddedJson(path, size)));
        content.Headers.ContentType = new("application/json");

        using var response = await _client.PostAsync(path, content);

        await response.ProblemAsync(HttpStatusCode.RequestEntityTooLarge);
        AssertNoErrorLogged();
    }

    [Theory]
    [InlineData("gzip")]
    [InlineData("deflate")]
    [InlineData("br")]
    public async Task ACompressedBodyThatInflatesPastTheLimitGetsA413(string encoding)
    {
        var bomb = Compress(encoding, PaddedJson("/v1/batch", 50 * 1024 * 1024), CompressionLevel.SmallestSize);
        Assert.True(bomb.Length < 200 * 1024, "the bomb must be small on the wire");

        using var response = await _client.PostAsync("/v1/batch", Encoded(bomb, encoding));

        await response.ProblemAsync(HttpStatusCode.RequestEntityTooLarge);
        AssertNoErrorLogged();
    }

    [Theory]
    [InlineData("gzip", "random bytes")]
    [InlineData("gzip", "flipped bytes")]
    [InlineData("gzip", "wrong checksum")]
    [InlineData("deflate", "random bytes")]
    [InlineData("deflate", "flipped bytes")]
    [InlineData("deflate", "plain JSON")]
    [InlineData("br", "random bytes")]
    [InlineData("br", "flipped bytes")]
    [InlineData("br", "plain JSON")]
    public async Task ABodyThatDoesNotDecompressAsItsContentEncodingSaysGetsA400(string encoding, string corruption)
    {
        var body = Corrupt(encoding, corruption);

        using var response = await _client.PostAsync("/v1/batch", Encoded(body, encoding));

        await response.ProblemAsync(HttpStatusCode.BadRequest);
        AssertNoErrorLogged();
        Assert.Equal(HttpStatusCode.OK, (await _client.PostAsync("/v1/batch", Encoded(Compress(encoding, Encoding.UTF8.GetBytes(Batch)), encoding))).StatusCode);
    }

    [Theory]
    [InlineData("/v1/track", """{"type":"track","userId":"u-1","event":"\ud800"}""")]
    [InlineData("/v1/track", """{"type":"track","userId":"u-1","event":"a\uDC00b"}""")]
    [InlineData("/v1/track", """{"type":"track","userId":"u-1","event":"e","properties":{"\ud83d":1}}""")]
    [InlineData("/v1/track", """{"type":"track","userId":"u-1","event":"\ud83d\u0041"}""")]
    [InlineData("/v1/batch", """{"batch":[{"type":"track","userId":"u-1","event":"e"}],"context":{"x":"\udfff"}}""")]
    [InlineData("/v1/m", """{"series":[{"type":"Counter","metric":"\ud800","value":1}]}""")]
    public async Task AStringWithALoneSurrogateEscapeGetsA400(string path, string json)
    {
        using var response = await _client.PostAsync(path, Http.Json(json));

        await response.ProblemAsync(HttpStatusCode.BadRequest);
        AssertNoErrorLogged();
    }

    [Fact]
    public async Task AChunkSizeTooLargeToParseGetsA400NotA500()
    {
        var (response, _) = await RawAsync(Head("/v1/batch", "Transfer-Encoding: chunked"), Encoding.ASCII.GetBytes("ffffffffffffffff\r\n" + Batch));

        AssertProblem(response, 400);
        AssertNoErrorLogged();
    }

    [Fact]
    public async Task AContentLengthShorterThanTheBodyGetsA400ProblemForTheCutJson()
    {
        var body = Encoding.UTF8.GetBytes(Track);

        var (response, _) = await RawAsync(Head("/v1/track", $"Content-Length: {body.Length - 5}"), body);

        AssertProblem(response, 400);
        AssertNoErrorLogged();
        Assert.Equal(HttpStatusCode.OK, (await _client.GetAsync("/health/ready")).StatusCode);
    }

    [Fact]
    public async Task PipelinedRequestsWithABadOneBetweenGoodOnesAreEachAnsweredInOrder()
    {
        var good = Encoding.UTF8.GetBytes(Track);
        var bad = Encoding.UTF8.GetBytes("""{"type":"track","userId":"\ud800","event":"e"}""");
        var bytes = new List<byte>();
        foreach (var body in new[] { good, bad, good })
        {
            bytes.AddRange(Head("/v1/track", $"Content-Length: {body.Length}"));
            bytes.AddRange(body);
        }

        using var tcp = await ConnectAsync();
        var stream = tcp.GetStream();
        await stream.WriteAsync(bytes.ToArray());
        var reader = new ResponseReader(stream);
        var statuses = new List<int>();
        for (var i = 0; i < 3; i++)
        {
            statuses.Add((await ReadResponseAsync(reader, TimeSpan.FromSeconds(10))).Status);
        }

        Assert.Equal([200, 400, 200], statuses);
        AssertNoErrorLogged();
    }

    [Fact]
    public async Task ABatchContextOfOneNameRepeatedThatEveryMessageOverridesCostsAboutWhatAPlainBatchOfItsSizeCosts()
    {
        // 42,000 shared members all named "a"; each of 4,700 messages sets "a" itself, so nothing shared is copied
        // and the events stay tiny, but every message's context is still merged member by member.
        var shared = string.Join(",", Enumerable.Repeat("\"a\":0", 42_000));
        var message = """{"type":"identify","userId":"u","context":{"a":1}}""";
        var hostile = "{\"batch\":[" + string.Join(",", Enumerable.Repeat(message, 4_700)) + "],\"context\":{" + shared + "}}";
        var plainMessage = """{"type":"track","event":"e","userId":"u","properties":{"a":1,"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb":"cccc"}}""";
        var plain = "{\"batch\":[" + string.Join(",", Enumerable.Repeat(plainMessage, 4_400)) + "]}";
        Assert.InRange(hostile.Length, plain.Length * 9 / 10, plain.Length * 11 / 10);

        var plainCost = TimeSpan.MaxValue;
        for (var i = 0; i < 3; i++)
        {
            var (cost, status) = await CpuOfAsync(plain);
            Assert.Equal(HttpStatusCode.OK, status);
            plainCost = cost < plainCost ? cost : plainCost;
        }

        var (hostileCost, hostileStatus) = await CpuOfAsync(hostile);

        Assert.True(hostileStatus is HttpStatusCode.OK or HttpStatusCode.RequestEntityTooLarge, $"got {(int)hostileStatus}");
        Assert.True(
            hostileCost < plainCost * 10 + TimeSpan.FromMilliseconds(250),
            $"The hostile batch ({hostile.Length} bytes) cost {hostileCost.TotalMilliseconds:0} ms of CPU, a plain batch of {plain.Length} bytes {plainCost.TotalMilliseconds:0} ms.");
    }

    /// <summary>Process CPU time (this process hosts the API) spent on one request.</summary>
    private async Task<(TimeSpan Cpu, HttpStatusCode Status)> CpuOfAsync(string json)
    {
        using var process = Process.GetCurrentProcess();
        var before = process.TotalProcessorTime;
        using var response = await _client.PostAsync("/v1/batch", Http.Json(json));
        process.Refresh();
        return (process.TotalProcessorTime - before, response.StatusCode);
    }

    private static byte[] PaddedJson(string path, int size)
    {
        var head = path.EndsWith("batch", StringComparison.Ordinal) ? """{"batch":[{"type":"track","userId":"u","event":"e","properties":{"pad":" """ : """{"type":"track","userId":"u","event":"e","properties":{"pad":" """;
        var tail = path.EndsWith("batch", StringComparison.Ordinal) ? "\"}}]}" : "\"}}";
        var bytes = new byte[size];
        Array.Fill(bytes, (byte)'x');
        Encoding.ASCII.GetBytes(head.TrimEnd()).CopyTo(bytes, 0);
        Encoding.ASCII.GetBytes(tail).CopyTo(bytes, size - tail.Length);
        return bytes;
    }

    internal static byte[] Compress(string encoding, byte[] data, CompressionLevel level = CompressionLevel.Fastest)
    {
        using var buffer = new MemoryStream();
        using (Stream compressor = encoding switch
        {
            "gzip" => new GZipStream(buffer, level, leaveOpen: true),
            "deflate" => new ZLibStream(buffer, level, leaveOpen: true),
            "br" => new BrotliStream(buffer, level, leaveOpen: true),
            _ => throw new ArgumentOutOfRangeException(nameof(encoding)),
        })
        {
            compressor.Write(data);
        }

        return buffer.ToArray();
    }

    private static byte[] Corrupt(string encoding, string corruption)
    {
        var valid = Compress(encoding, Encoding.UTF8.GetBytes(Batch));
        var random = new Random(7);
        switch (corruption)
        {
            case "random bytes":
                var noise = new byte[300];
                random.NextBytes(noise);
                if (encoding == "gzip")
                {
                    noise[0] = 0x1f;
                    noise[1] = 0x8b;
                }

                return noise;
            case "flipped bytes":
                // Past the gzip header, into the compressed data itself.
                for (var i = valid.Length / 3; i < valid.Length * 2 / 3; i++)
                {
                    valid[i] ^= 0x5a;
                }

                return valid;
            case "wrong checksum":
                valid[^8] ^= 0xff;
                return valid;
            case "plain JSON":
                return Encoding.UTF8.GetBytes(Batch);
            default:
                throw new ArgumentOutOfRangeException(nameof(corruption));
        }
    }

    private static ByteArrayContent Encoded(byte[] body, string encoding)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new("application/json");
        content.Headers.ContentEncoding.Add(encoding);
        return content;
    }

    private static void AssertProblem(RawResponse response, int status)
    {
        Assert.True(response.Status == status, $"Expected {status}, got {response.Status}: {response.Body}");
        Assert.StartsWith("application/problem+json", response.ContentType, StringComparison.Ordinal);
        var problem = JsonNode.Parse(response.Body)!.AsObject();
        Assert.Equal(status, problem["status"]!.GetValue<int>());
        Assert.False(string.IsNullOrEmpty(problem["title"]?.GetValue<string>()));
    }

    private void AssertNoErrorLogged()
    {
        var errors = _logs.Entries.Where(e => e.Level >= LogLevel.Error).ToList();
        Assert.True(errors.Count == 0, "A client's bytes were logged as an error: " + string.Join("\n", errors.Select(e => $"{e.Category}: {e.Message}")));
    }

    private byte[] Head(string path, string framing)
    {
        var key = Convert.ToBase64String(Encoding.UTF8.GetBytes(TrackingApiFactory.WriteKey + ":"));
        return Encoding.ASCII.GetBytes($"POST {path} HTTP/1.1\r\nHost: {_client.BaseAddress!.Authority}\r\nAuthorization: Basic {key}\r\nContent-Type: application/json\r\n{framing}\r\n\r\n");
    }

    private async Task<TcpClient> ConnectAsync()
    {
        var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, _client.BaseAddress!.Port);
        return tcp;
    }

    /// <summary>Sends <paramref name="head"/> and <paramref name="body"/>, then writes nothing more and waits for the answer.</summary>
    private async Task<(RawResponse Response, TimeSpan Elapsed)> RawAsync(byte[] head, byte[] body)
    {
        using var tcp = await ConnectAsync();
        var stream = tcp.GetStream();
        var clock = Stopwatch.StartNew();
        await stream.WriteAsync(head);
        await stream.WriteAsync(body);
        var response = await ReadResponseAsync(new ResponseReader(stream), SlowBodyAnswerWithin);
        return (response, clock.Elapsed);
    }

    private sealed record RawResponse(int Status, string ContentType, string Body);

    /// <summary>Reads one HTTP/1.1 response (Content-Length or chunked), failing if it has not arrived within <paramref name="timeout"/>.</summary>
    private static async Task<RawResponse> ReadResponseAsync(ResponseReader reader, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        reader.CancellationToken = deadline.Token;
        try
        {
            var statusLine = await reader.ReadLineAsync();
            var status = int.Parse(statusLine.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
            var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            for (var line = await reader.ReadLineAsync(); line.Length > 0; line = await reader.ReadLineAsync())
            {
                var colon = line.IndexOf(':', StringComparison.Ordinal);
                headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
            }

            var body = new List<byte>();
            if (headers.TryGetValue("Content-Length", out var length))
            {
                body.AddRange(await reader.ReadBytesAsync(int.Parse(length, System.Globalization.CultureInfo.InvariantCulture)));
            }
            else if (headers.TryGetValue("Transfer-Encoding", out var te) && te.Contains("chunked", StringComparison.OrdinalIgnoreCase))
            {
                for (var size = Convert.ToInt32(await reader.ReadLineAsync(), 16); size > 0; size = Convert.ToInt32(await reader.ReadLineAsync(), 16))
                {
                    body.AddRange(await reader.ReadBytesAsync(size));
                    await reader.ReadLineAsync();
                }

                await reader.ReadLineAsync();
            }

            return new RawResponse(status, headers.GetValueOrDefault("Content-Type", ""), Encoding.UTF8.GetString(body.ToArray()));
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"No complete answer within {timeout.TotalSeconds:0} s; got so far: {reader.SoFar}");
            throw;
        }
    }

    /// <summary>Reads a connection's responses one after another; bytes of the next response read early wait in its buffer.</summary>
    private sealed class ResponseReader(NetworkStream stream)
    {
        private readonly List<byte> _buffer = [];
        private readonly StringBuilder _soFar = new();

        public CancellationToken CancellationToken { get; set; }

        public string SoFar => _soFar.ToString();

        public async Task<string> ReadLineAsync()
        {
            while (true)
            {
                var end = _buffer.IndexOf((byte)'\n');
                if (end >= 0)
                {
                    var line = Encoding.ASCII.GetString(_buffer.GetRange(0, end).ToArray()).TrimEnd('\r');
                    _buffer.RemoveRange(0, end + 1);
                    return line;
                }

                await FillAsync();
            }
        }

        public async Task<byte[]> ReadBytesAsync(int count)
        {
            while (_buffer.Count < count)
            {
                await FillAsync();
            }

            var bytes = _buffer.GetRange(0, count).ToArray();
            _buffer.RemoveRange(0, count);
            return bytes;
        }

        private async Task FillAsync()
        {
            var chunk = new byte[8192];
            var read = await stream.ReadAsync(chunk, CancellationToken);
            if (read == 0)
            {
                throw new IOException($"The server closed the connection; got so far: {SoFar}");
            }

            _buffer.AddRange(chunk.AsSpan(0, read).ToArray());
            _soFar.Append(Encoding.UTF8.GetString(chunk, 0, read));
        }
    }
}
