using System.Diagnostics;
using Tracking.Api.Delivery;
using Tracking.Events;
using Tracking.ServiceDefaults;

namespace Tracking.Api.Telemetry;

/// <summary>
/// The API's spans. The ingestion request's span is ASP.NET Core's own (tagged here with the source and the counts);
/// its W3C traceparent is stamped last on each accepted event (<see cref="EventTrace"/>), so it survives the spool
/// and a restart, and every delivery attempt of a batch gets a <see cref="TelemetryNames.SinkPutSpan"/> span linked
/// to the requests its events came from. The same stamp travels in the record to the consumer, whose load span
/// links to the same requests: one request's trace id finds its put and its load.
/// </summary>
/// <remarks>
/// Nothing is created, allocated or stamped unless a tracer provider listens to <see cref="TelemetryNames.ApiActivitySource"/>
/// (an OTLP endpoint is set): each entry point checks <see cref="ActivitySource.HasListeners"/> first.
/// </remarks>
internal static class TrackingTracing
{
    /// <summary>Links one span may carry; the SDK's default limit, past which it would drop them anyway.</summary>
    internal const int MaxLinks = 128;

    public static ActivitySource Source { get; } = new(TelemetryNames.ApiActivitySource);

    /// <summary>The current request span's traceparent when tracing is on and the span is sampled; otherwise null.</summary>
    public static string? RequestTraceParent() =>
        Source.HasListeners() && Activity.Current is { Recorded: true, IdFormat: ActivityIdFormat.W3C } request ? request.Id : null;

    /// <summary>Tags the request span with what became of the request's messages.</summary>
    public static void TagRequest(string source, int accepted, int rejected)
    {
        if (Activity.Current is { IsAllDataRequested: true } request && Source.HasListeners())
        {
            request.SetTag(TelemetryNames.Attributes.Source, source);
            request.SetTag(TelemetryNames.Attributes.EventsAccepted, accepted);
            request.SetTag(TelemetryNames.Attributes.EventsRejected, rejected);
        }
    }

    /// <summary>Starts the span of one delivery attempt, linked to the requests of <paramref name="events"/>; null when nobody listens.</summary>
    public static Activity? StartPut(string sink, string? destination, IReadOnlyList<EnrichedEvent> events, int attempt)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        var tags = new ActivityTagsCollection
        {
            [TelemetryNames.Attributes.Sink] = sink,
            [TelemetryNames.Attributes.MessagingSystem] = MessagingSystem(sink),
            [TelemetryNames.Attributes.BatchMessageCount] = events.Count,
            [TelemetryNames.Attributes.DeliveryAttempt] = attempt,
        };
        if (destination is not null)
        {
            tags[TelemetryNames.Attributes.DestinationName] = destination;
        }

        // A put is the root of its own trace: it serves many requests, so it links to them rather than pick one parent.
        return Source.StartActivity(TelemetryNames.SinkPutSpan, ActivityKind.Producer, parentContext: default, tags, RequestLinks(events));
    }

    /// <summary>The distinct request span contexts stamped on <paramref name="events"/>, at most <see cref="MaxLinks"/>.</summary>
    internal static List<ActivityLink> RequestLinks(IReadOnlyList<EnrichedEvent> events)
    {
        var links = new List<ActivityLink>();
        var seen = new HashSet<ActivitySpanId>();
        for (var i = 0; i < events.Count && links.Count < MaxLinks; i++)
        {
            if (EventTrace.TryRead(events[i].Json, out var request) && seen.Add(request.SpanId))
            {
                links.Add(new ActivityLink(request));
            }
        }

        return links;
    }

    private static string MessagingSystem(string sink) => sink switch
    {
        "Kinesis" => "aws_kinesis",
        "Firehose" => "aws_firehose",
        _ => sink.ToLowerInvariant(),
    };
}
