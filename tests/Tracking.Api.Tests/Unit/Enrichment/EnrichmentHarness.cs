using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Tracking.Api.Enrichment;
using Tracking.Api.Ingestion;
using Tracking.Events;

namespace Tracking.Api.Tests.Unit.Enrichment;

/// <summary>Runs messages through the real enricher with the enrichments of the given options and the data files the build copied.</summary>
internal sealed class EnrichmentHarness
{
    private static readonly DateTimeOffset ReceivedAt = new(2026, 12, 7, 9, 0, 0, TimeSpan.Zero);

    public EnrichmentHarness(EnrichmentOptions options, ClientIpOptions? clientIp = null)
    {
        Context = new ContextEnrichment(options, EnrichmentData.Folder, NullLogger.Instance);
        Enricher = new EventEnricher(Options.Create(clientIp ?? new ClientIpOptions()), Context);
    }

    public ContextEnrichment Context { get; }

    public EventEnricher Enricher { get; }

    /// <summary>Where the last <see cref="Enrich"/> sent its event.</summary>
    public EnrichmentVerdict LastVerdict { get; private set; }

    /// <summary>The enriched event of a batch's first message, or null when it was dropped.</summary>
    public JsonObject? Enrich(string batchJson, string? userAgent = null, string source = "web", string ip = "203.0.113.7", IDictionary<string, string>? headers = null)
    {
        var http = new DefaultHttpContext();
        http.Connection.RemoteIpAddress = IPAddress.Parse(ip);
        if (userAgent is not null)
        {
            http.Request.Headers.UserAgent = userAgent;
        }

        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            http.Request.Headers[name] = value;
        }

        var request = MessageParser.ParseBatch(Encoding.UTF8.GetBytes(batchJson));
        using var scratch = new EventEnricher.Scratch();
        var meta = Enricher.Describe(http, ReceivedAt, source);
        var enriched = Enricher.Enrich(request.Messages[0], request, meta, scratch);
        LastVerdict = scratch.Verdict;
        return scratch.Verdict == EnrichmentVerdict.Drop ? null : JsonNode.Parse(enriched.Json)!.AsObject();
    }

    /// <summary>The context of a track message whose context is <paramref name="contextJson"/>, sent with <paramref name="userAgent"/> as its header.</summary>
    public JsonObject? ContextOf(string? userAgent, string contextJson = "{}", string source = "web", string ip = "203.0.113.7", IDictionary<string, string>? headers = null) =>
        Enrich($$"""{"batch":[{"type":"track","userId":"u","event":"E","context":{{contextJson}}}]}""", userAgent, source, ip, headers)?["context"]!.AsObject();

    /// <summary>A member of a node by a dotted path, as text; null when it is missing.</summary>
    public static string? At(JsonNode? node, string path)
    {
        foreach (var part in path.Split('.'))
        {
            node = node?[part];
        }

        return node?.ToString();
    }
}
