using System.Diagnostics.Metrics;
using Tracking.Api.Telemetry;

namespace Tracking.Api.Status;

/// <summary>
/// Running totals of what the API's own instruments count, for the status page: a listener on the
/// <c>Tracking.Api</c> meter (events accepted, messages rejected by reason, bots by action, delivered, failed,
/// recovered, dropped) and on ASP.NET Core's <c>http.server.request.duration</c> (ingestion requests
/// refused, by status code). It reads the measurements the endpoints already make; nothing is added
/// to the ingestion path. Only this app's meters are heard (by their factory), not those of another
/// host in the same process.
/// </summary>
internal sealed class StatusCounters : IDisposable
{
    private const string HostingMeter = "Microsoft.AspNetCore.Hosting";
    private const string RequestDuration = "http.server.request.duration";

    private readonly MeterListener _listener;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, long> _rejected = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _refused = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _bots = new(StringComparer.Ordinal);
    private long _accepted;
    private long _suppressed;
    private long _delivered;
    private long _failed;
    private long _recovered;
    private long _dropped;

    public StatusCounters(IMeterFactory meterFactory)
    {
        _listener = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (ReferenceEquals(instrument.Meter.Scope, meterFactory) && Heard(instrument))
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => OnCount(instrument.Name, value, tags));
        _listener.SetMeasurementEventCallback<double>((instrument, _, tags, _) => OnRequest(tags));
        _listener.Start();
    }

    public StatusTotals Snapshot()
    {
        lock (_gate)
        {
            return new StatusTotals(
                Interlocked.Read(ref _accepted),
                new Dictionary<string, long>(_rejected, StringComparer.Ordinal),
                new Dictionary<string, long>(_refused, StringComparer.Ordinal),
                Interlocked.Read(ref _delivered),
                Interlocked.Read(ref _failed),
                Interlocked.Read(ref _recovered),
                Interlocked.Read(ref _dropped),
                Interlocked.Read(ref _suppressed),
                new Dictionary<string, long>(_bots, StringComparer.Ordinal));
        }
    }

    public void Dispose() => _listener.Dispose();

    private static bool Heard(Instrument instrument) => instrument.Meter.Name switch
    {
        TrackingMetrics.MeterName => instrument.Name is "tracking.events.accepted" or "tracking.events.rejected" or "tracking.events.suppressed" or "tracking.delivery.sent"
            or "tracking.delivery.failed" or "tracking.delivery.recovered" or "tracking.delivery.dropped" or "tracking.events.bots",
        HostingMeter => instrument.Name == RequestDuration,
        _ => false,
    };

    private void OnCount(string instrument, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        switch (instrument)
        {
            case "tracking.events.accepted":
                Interlocked.Add(ref _accepted, value);
                break;
            case "tracking.events.suppressed":
                Interlocked.Add(ref _suppressed, value);
                break;
            case "tracking.events.rejected":
                Add(_rejected, Tag(tags, "reason") ?? "unknown", value);
                break;
            case "tracking.events.bots":
                Add(_bots, Tag(tags, "action") ?? "unknown", value);
                break;
            case "tracking.delivery.sent":
                Interlocked.Add(ref _delivered, value);
                break;
            case "tracking.delivery.failed":
                Interlocked.Add(ref _failed, value);
                break;
            case "tracking.delivery.recovered":
                Interlocked.Add(ref _recovered, value);
                break;
            case "tracking.delivery.dropped":
                Interlocked.Add(ref _dropped, value);
                break;
        }
    }

    /// <summary>Counts an ingestion request (a <c>/v1/</c> route) answered with a 4xx or 5xx status.</summary>
    private void OnRequest(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        string? route = null;
        var status = 0;
        foreach (var (key, value) in tags)
        {
            if (key == "http.route")
            {
                route = value as string;
            }
            else if (key == "http.response.status_code" && value is int code)
            {
                status = code;
            }
        }

        if (status >= 400 && route is not null && route.StartsWith("/v1/", StringComparison.Ordinal) && route != "/v1/m")
        {
            Add(_refused, status.ToString(System.Globalization.CultureInfo.InvariantCulture), 1);
        }
    }

    private void Add(Dictionary<string, long> counts, string key, long value)
    {
        lock (_gate)
        {
            counts[key] = counts.GetValueOrDefault(key) + value;
        }
    }

    private static string? Tag(ReadOnlySpan<KeyValuePair<string, object?>> tags, string name)
    {
        foreach (var (key, value) in tags)
        {
            if (key == name)
            {
                return value as string;
            }
        }

        return null;
    }
}
