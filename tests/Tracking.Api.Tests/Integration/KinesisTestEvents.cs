using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Tracking.Api.Tests.Support;

namespace Tracking.Api.Tests.Integration;

/// <summary>
/// Numbered events for ordering tests: user <c>u</c>'s event <c>n</c> has messageId <c>m-uuu-nnn</c> and
/// <c>properties.seq = n</c>; even users are known by userId, odd ones only by an anonymousId. Each sender owns
/// some users and posts their events in order (interleaved, as singles and batches), as SDKs do.
/// </summary>
internal static class KinesisTestEvents
{
    public static string Event(int user, int seq)
    {
        var who = user % 2 == 0 ? $"\"userId\":\"user-{user:000}\"" : $"\"anonymousId\":\"device-{user:000}\"";
        return $$$"""{"type":"track",{{{who}}},"event":"Ordered","messageId":"m-{{{user:000}}}-{{{seq:000}}}","properties":{"seq":{{{seq}}}}}""";
    }

    /// <summary>Posts <paramref name="perUser"/> events for each of <paramref name="users"/> users from <paramref name="senders"/> concurrent senders; returns the non-200 answers.</summary>
    public static async Task<IReadOnlyCollection<string>> PostAsync(HttpClient client, int users, int perUser, int senders, int maxBatch = 40)
    {
        var failures = new ConcurrentQueue<string>();
        await Task.WhenAll(Enumerable.Range(0, senders).Select(sender => Task.Run(async () =>
        {
            var random = new Random(sender);
            var events = Enumerable.Range(0, perUser)
                .SelectMany(seq => Enumerable.Range(0, users).Where(u => u % senders == sender).Select(user => Event(user, seq)))
                .ToList();
            for (var i = 0; i < events.Count;)
            {
                var count = Math.Min(events.Count - i, random.Next(4) == 0 ? 1 : random.Next(2, maxBatch + 1));
                var chunk = events.GetRange(i, count);
                i += count;
                using var response = count == 1
                    ? await client.PostAsync("/v1/track", Http.Json(chunk[0]))
                    : await client.PostAsync("/v1/batch", Http.Json($"{{\"batch\":[{string.Join(",", chunk)}]}}"));
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    failures.Enqueue($"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
                }
            }
        })));
        return failures;
    }

    public static string Key(JsonObject e) => e["userId"]?.GetValue<string>() ?? e["anonymousId"]!.GetValue<string>();

    public static int Seq(JsonObject e) => e["properties"]!["seq"]!.GetValue<int>();

    /// <summary>Asserts every event of every user is there once and, in the order given, each user's are in sequence.</summary>
    public static void AssertEachOnceInEachUsersOrder(IEnumerable<JsonObject> inStreamOrder, int users, int perUser)
    {
        var events = inStreamOrder.ToList();
        var ids = events.Select(e => e["messageId"]!.GetValue<string>()).ToList();
        Assert.Equal(users * perUser, ids.Count);
        Assert.Equal(ids.Count, ids.Distinct(StringComparer.Ordinal).Count());
        foreach (var user in events.GroupBy(Key))
        {
            Assert.Equal(Enumerable.Range(0, perUser), user.Select(Seq));
        }
    }
}

/// <summary>
/// The API's own instruments, read from its meter factory only (parallel tests run other APIs): counters
/// summed, the send-rate gauge's readings kept.
/// </summary>
internal sealed class ApiMetrics : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, long> _sums = new(StringComparer.Ordinal);

    public ApiMetrics(IServiceProvider services)
    {
        var factory = services.GetRequiredService<IMeterFactory>();
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Scope == factory)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, _, _) => _sums.AddOrUpdate(instrument.Name, value, (_, sum) => sum + value));
        _listener.SetMeasurementEventCallback<double>((instrument, value, _, _) =>
        {
            if (instrument.Name == "tracking.sink.rate_limit")
            {
                RateLimits.Enqueue(value);
            }
        });
        _listener.Start();
    }

    public ConcurrentQueue<double> RateLimits { get; } = new();

    public long Sum(string name) => _sums.TryGetValue(name, out var sum) ? sum : 0;

    /// <summary>Reads the gauges now.</summary>
    public void Observe() => _listener.RecordObservableInstruments();

    public void Dispose() => _listener.Dispose();
}
