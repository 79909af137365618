using System.Collections.Concurrent;
using System.IO.Compression;
using System.Net;
using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Tracking.Testing.Telemetry.Otlp;

namespace Tracking.Testing.Telemetry;

/// <summary>A span as it arrived: its service, scope, ids (lower-case hex), kind, attributes and links.</summary>
public sealed record ReceivedSpan(
    string Service,
    string Scope,
    string Name,
    Span.Types.SpanKind Kind,
    string TraceId,
    string SpanId,
    string ParentSpanId,
    IReadOnlyDictionary<string, object?> Attributes,
    IReadOnlyList<(string TraceId, string SpanId)> Links,
    Status.Types.StatusCode Status)
{
    /// <summary>The W3C traceparent of this span (sampled).</summary>
    public string TraceParent => $"00-{TraceId}-{SpanId}-01";

    public override string ToString() =>
        $"{Service} {Scope} '{Name}' {Kind} {TraceId}/{SpanId} parent {ParentSpanId} [{string.Join(", ", Attributes.Select(a => $"{a.Key}={a.Value}"))}] links [{string.Join(", ", Links.Select(l => $"{l.TraceId}/{l.SpanId}"))}]";
}

/// <summary>A metric as it arrived: its service, meter, name and the sum of its data points' values.</summary>
public sealed record ReceivedMetric(string Service, string Scope, string Name, double Total);

/// <summary>
/// An OTLP/HTTP collector in the test: Kestrel on 127.0.0.1 (port chosen by the OS) that accepts
/// <c>POST /v1/traces</c>, <c>/v1/metrics</c> and <c>/v1/logs</c> as <c>application/x-protobuf</c> (gzip or not),
/// decodes traces and metrics with the OTLP messages generated from <c>otlp.proto</c>, and answers as a collector
/// does (200 with an empty export response). Anything else it refuses with 415 or 404 and counts, so a test sees an
/// exporter speaking the wrong protocol.
/// </summary>
public sealed class OtlpReceiver : IAsyncDisposable
{
    private readonly ConcurrentQueue<ReceivedSpan> _spans = new();
    private readonly ConcurrentQueue<ReceivedMetric> _metrics = new();
    private readonly ConcurrentQueue<string> _refused = new();
    private int _logRequests;
    private WebApplication? _app;

    /// <summary>The base address to give exporters as <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>, e.g. <c>http://127.0.0.1:41234</c>.</summary>
    public Uri Endpoint { get; private set; } = null!;

    public IReadOnlyList<ReceivedSpan> Spans => [.. _spans];

    public IReadOnlyList<ReceivedMetric> Metrics => [.. _metrics];

    /// <summary>Requests refused (wrong path, content type or an undecodable body), described.</summary>
    public IReadOnlyList<string> Refused => [.. _refused];

    /// <summary>Log export requests received.</summary>
    public int LogRequests => Volatile.Read(ref _logRequests);

    /// <summary>The environment that points an app's OTLP exporter here over HTTP with short export intervals.</summary>
    public IReadOnlyDictionary<string, string> ExporterEnvironment(string serviceName) => new Dictionary<string, string>
    {
        ["OTEL_EXPORTER_OTLP_ENDPOINT"] = Endpoint.ToString().TrimEnd('/'),
        ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
        ["OTEL_SERVICE_NAME"] = serviceName,
        ["OTEL_BSP_SCHEDULE_DELAY"] = "200",
        ["OTEL_METRIC_EXPORT_INTERVAL"] = "500",
        ["OTEL_BLRP_SCHEDULE_DELAY"] = "500",
    };

    public static async Task<OtlpReceiver> StartAsync()
    {
        var receiver = new OtlpReceiver();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        receiver._app = builder.Build();
        receiver._app.Run(receiver.HandleAsync);
        await receiver._app.StartAsync();
        var address = receiver._app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        receiver.Endpoint = new Uri(address.TrimEnd('/') + "/");
        return receiver;
    }

    /// <summary>Waits until a span matching <paramref name="match"/> has arrived, and returns the first one.</summary>
    public Task<ReceivedSpan> WaitForSpanAsync(Func<ReceivedSpan, bool> match, TimeSpan timeout, string what) =>
        WaitAsync(() => _spans.FirstOrDefault(match), timeout, what);

    /// <summary>Waits until a metric matching <paramref name="match"/> has arrived, and returns the first one.</summary>
    public Task<ReceivedMetric> WaitForMetricAsync(Func<ReceivedMetric, bool> match, TimeSpan timeout, string what) =>
        WaitAsync(() => _metrics.FirstOrDefault(match), timeout, what);

    /// <summary>Waits until at least one log export has arrived.</summary>
    public Task WaitForLogsAsync(TimeSpan timeout) =>
        WaitAsync(() => LogRequests > 0 ? "logs" : null, timeout, "log export");

    private Task<T> WaitAsync<T>(Func<T?> find, TimeSpan timeout, string what)
        where T : class =>
        Eventually.FoundAsync(
            find,
            $"{what} arrives at the collector",
            timeout,
            () => $"Spans received: {_spans.Count}, metrics: {_metrics.Count}, refused: [{string.Join("; ", _refused)}].{Environment.NewLine}"
                + string.Join(Environment.NewLine, _spans.Take(50)));

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var path = request.Path.Value;
        if (!HttpMethods.IsPost(request.Method) || path is not ("/v1/traces" or "/v1/metrics" or "/v1/logs"))
        {
            _refused.Enqueue($"{request.Method} {path}");
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        if (request.ContentType?.StartsWith("application/x-protobuf", StringComparison.OrdinalIgnoreCase) != true)
        {
            _refused.Enqueue($"{path} as {request.ContentType}");
            context.Response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
            return;
        }

        using var body = new MemoryStream();
        var source = string.Equals(request.Headers.ContentEncoding, "gzip", StringComparison.OrdinalIgnoreCase)
            ? new GZipStream(request.Body, CompressionMode.Decompress)
            : request.Body;
        await using (source)
        {
            await source.CopyToAsync(body, context.RequestAborted);
        }

        body.Position = 0;
        try
        {
            switch (path)
            {
                case "/v1/traces":
                    Collect(ExportTraceServiceRequest.Parser.ParseFrom(body));
                    break;
                case "/v1/metrics":
                    Collect(ExportMetricsServiceRequest.Parser.ParseFrom(body));
                    break;
                default:
                    Interlocked.Increment(ref _logRequests);
                    break;
            }
        }
        catch (InvalidProtocolBufferException exception)
        {
            _refused.Enqueue($"{path}: {exception.Message}");
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }

        // An empty Export*ServiceResponse: no partial success to report.
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/x-protobuf";
    }

    private void Collect(ExportTraceServiceRequest export)
    {
        foreach (var resource in export.ResourceSpans)
        {
            var service = ServiceName(resource.Resource);
            foreach (var scope in resource.ScopeSpans)
            {
                foreach (var span in scope.Spans)
                {
                    _spans.Enqueue(new ReceivedSpan(
                        service,
                        scope.Scope?.Name ?? string.Empty,
                        span.Name,
                        span.Kind,
                        Hex(span.TraceId),
                        Hex(span.SpanId),
                        Hex(span.ParentSpanId),
                        span.Attributes.ToDictionary(a => a.Key, a => Value(a.Value), StringComparer.Ordinal),
                        [.. span.Links.Select(l => (Hex(l.TraceId), Hex(l.SpanId)))],
                        span.Status?.Code ?? Status.Types.StatusCode.Unset));
                }
            }
        }
    }

    private void Collect(ExportMetricsServiceRequest export)
    {
        foreach (var resource in export.ResourceMetrics)
        {
            var service = ServiceName(resource.Resource);
            foreach (var scope in resource.ScopeMetrics)
            {
                foreach (var metric in scope.Metrics)
                {
                    var total = metric.DataCase switch
                    {
                        Metric.DataOneofCase.Sum => metric.Sum.DataPoints.Sum(Number),
                        Metric.DataOneofCase.Gauge => metric.Gauge.DataPoints.Sum(Number),
                        Metric.DataOneofCase.Histogram => metric.Histogram.DataPoints.Sum(p => (double)p.Count),
                        _ => 0,
                    };
                    _metrics.Enqueue(new ReceivedMetric(service, scope.Scope?.Name ?? string.Empty, metric.Name, total));
                }
            }
        }
    }

    private static double Number(NumberDataPoint point) =>
        point.ValueCase == NumberDataPoint.ValueOneofCase.AsInt ? point.AsInt : point.AsDouble;

    private static string ServiceName(Resource? resource) =>
        resource?.Attributes.FirstOrDefault(a => a.Key == "service.name")?.Value?.StringValue ?? string.Empty;

    private static string Hex(ByteString bytes) => Convert.ToHexStringLower(bytes.Span);

    private static object? Value(AnyValue? value) => value?.ValueCase switch
    {
        AnyValue.ValueOneofCase.StringValue => value.StringValue,
        AnyValue.ValueOneofCase.BoolValue => value.BoolValue,
        AnyValue.ValueOneofCase.IntValue => value.IntValue,
        AnyValue.ValueOneofCase.DoubleValue => value.DoubleValue,
        AnyValue.ValueOneofCase.ArrayValue => value.ArrayValue.Values.Select(Value).ToList(),
        _ => null,
    };

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
