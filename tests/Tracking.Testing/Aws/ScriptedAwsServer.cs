using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Tracking.Testing.Aws;

/// <summary>
/// An AWS JSON service played back from a script: it records every request and answers with the responses
/// queued by the test, in order, then with <c>200 {}</c>. Used where no emulator exists (Firehose) and to
/// script throttling, 5xx, error bodies and dropped connections.
/// </summary>
public sealed class ScriptedAwsServer : AwsJsonServer
{
    private readonly ConcurrentQueue<ScriptedResponse> _responses = new();
    private readonly ConcurrentQueue<RecordedRequest> _requests = new();

    private ScriptedAwsServer()
    {
    }

    /// <summary>The requests received so far, in arrival order.</summary>
    public IReadOnlyList<RecordedRequest> Requests => [.. _requests];

    /// <summary>Starts a server.</summary>
    public static async Task<ScriptedAwsServer> StartAsync(CancellationToken cancellationToken = default)
    {
        var server = new ScriptedAwsServer();
        await server.StartServerAsync(cancellationToken);
        return server;
    }

    /// <summary>Queues a response.</summary>
    public void Enqueue(ScriptedResponse response) => _responses.Enqueue(response);

    /// <summary>Queues a <c>200</c> with a JSON body.</summary>
    public void EnqueueJson(string json) => Enqueue(new ScriptedResponse(200, json));

    /// <summary>Queues an AWS JSON error: <c>{"__type": type, "message": message}</c> with the given status.</summary>
    public void EnqueueError(int statusCode, string type, string message = "scripted error") =>
        Enqueue(new ScriptedResponse(statusCode, JsonSerializer.Serialize(new Dictionary<string, string> { ["__type"] = type, ["message"] = message })));

    /// <summary>Queues a dropped connection: the request is read, then the connection is aborted without a response.</summary>
    public void EnqueueConnectionDrop() => Enqueue(new ScriptedResponse(0, string.Empty, DropConnection: true));

    /// <inheritdoc/>
    protected override async Task HandleAsync(HttpContext context)
    {
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
        var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        _requests.Enqueue(new RecordedRequest(context.Request.Method, context.Request.Path.Value ?? "/", headers, buffer.ToArray()));

        var response = _responses.TryDequeue(out var scripted) ? scripted : new ScriptedResponse(200, "{}");
        if (response.DropConnection)
        {
            context.Abort();
            return;
        }

        context.Response.StatusCode = response.StatusCode;
        context.Response.ContentType = "application/x-amz-json-1.1";
        context.Response.Headers["x-amzn-RequestId"] = $"scripted-{_requests.Count}";
        foreach (var (name, value) in response.Headers ?? new Dictionary<string, string>())
        {
            context.Response.Headers[name] = value;
        }

        await context.Response.WriteAsync(response.Body, context.RequestAborted);
    }
}

/// <summary>A response the <see cref="ScriptedAwsServer"/> sends.</summary>
/// <param name="StatusCode">The HTTP status.</param>
/// <param name="Body">The body, usually JSON.</param>
/// <param name="Headers">Extra headers, e.g. <c>x-amzn-RequestId</c> to override the generated one.</param>
/// <param name="DropConnection">Abort the connection instead of answering.</param>
public sealed record ScriptedResponse(int StatusCode, string Body, IReadOnlyDictionary<string, string>? Headers = null, bool DropConnection = false);

/// <summary>A request the <see cref="ScriptedAwsServer"/> received.</summary>
/// <param name="Method">The HTTP method.</param>
/// <param name="Path">The request path.</param>
/// <param name="Headers">The headers, case-insensitive.</param>
/// <param name="Body">The raw body.</param>
public sealed record RecordedRequest(string Method, string Path, IReadOnlyDictionary<string, string> Headers, byte[] Body)
{
    /// <summary>The <c>X-Amz-Target</c> header, e.g. <c>Kinesis_20131202.PutRecords</c>.</summary>
    public string? Target => Headers.TryGetValue("X-Amz-Target", out var target) ? target : null;

    /// <summary>The body as UTF-8 text.</summary>
    public string BodyText => Encoding.UTF8.GetString(Body);

    /// <summary>The body parsed as JSON.</summary>
    public JsonElement Json => JsonDocument.Parse(Body).RootElement.Clone();

    /// <summary>A header's value, or null.</summary>
    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;
}
