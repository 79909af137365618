using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Tracking.Consumer.Loading;
using Tracking.ServiceDefaults;

namespace Tracking.Consumer.Telemetry;

/// <summary>
/// The meter <c>Tracking.Consumer</c>: records read, rows loaded, duplicates dropped, dead letters, load
/// duration, end-to-end lag (load time − <c>receivedAt</c>), <c>MillisBehindLatest</c> per shard and leases held.
/// </summary>
internal sealed class ConsumerMetrics
{
    /// <summary>The meter's name, for exporters and <c>dotnet-counters</c>.</summary>
    public const string MeterName = TelemetryNames.ConsumerMeter;

    private readonly Counter<long> _recordsRead;
    private readonly Counter<long> _rowsLoaded;
    private readonly Counter<long> _duplicates;
    private readonly Counter<long> _deadLetters;
    private readonly Histogram<double> _loadDuration;
    private readonly Histogram<double> _lag;
    private readonly ConcurrentDictionary<string, long> _millisBehind = new(StringComparer.Ordinal);
    private int _leasesHeld;

    public ConsumerMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _recordsRead = meter.CreateCounter<long>("consumer.records.read", "{record}", "Records read from the stream.");
        _rowsLoaded = meter.CreateCounter<long>("consumer.rows.loaded", "{row}", "Rows committed into the events table.");
        _duplicates = meter.CreateCounter<long>("consumer.duplicates.dropped", "{row}", "Rows whose message_id was already loaded.");
        _deadLetters = meter.CreateCounter<long>("consumer.dead_letters", "{record}", "Records written to dead_letters.");
        _loadDuration = meter.CreateHistogram<double>("consumer.load.duration", "s", "Time of one load transaction.");
        _lag = meter.CreateHistogram<double>("consumer.lag", "s", "Load time minus the event's receivedAt.");
        meter.CreateObservableGauge(
            "consumer.shard.millis_behind_latest",
            () => _millisBehind.Select(p => new Measurement<long>(p.Value, new KeyValuePair<string, object?>("shard", p.Key))),
            "ms",
            "How far each shard's last read is behind the tip of the stream.");
        meter.CreateObservableGauge("consumer.leases.held", () => Volatile.Read(ref _leasesHeld), "{lease}", "Shard leases this worker holds.");
    }

    public void Read(string shardId, int records, long? millisBehindLatest)
    {
        _recordsRead.Add(records);
        if (millisBehindLatest is { } behind)
        {
            _millisBehind[shardId] = behind;
        }
    }

    /// <summary>Each shard read so far with its last <c>MillisBehindLatest</c>, for <c>/status.json</c>.</summary>
    public IReadOnlyList<Tracking.Events.ConsumerShard> ShardsBehind() =>
        _millisBehind.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => new Tracking.Events.ConsumerShard(p.Key, p.Value)).ToList();

    /// <summary>Shard leases this worker holds now.</summary>
    public int LeasesHeldNow => Volatile.Read(ref _leasesHeld);

    public void ShardReleased(string shardId) => _millisBehind.TryRemove(shardId, out _);

    public void LeasesHeld(int count) => Volatile.Write(ref _leasesHeld, count);

    public void Loaded(LoadBatch batch, int inserted, int duplicates, TimeSpan duration, DateTimeOffset loadedAt)
    {
        _rowsLoaded.Add(inserted);
        _duplicates.Add(duplicates);
        _deadLetters.Add(batch.DeadLetters.Count);
        _loadDuration.Record(duration.TotalSeconds);
        if (_lag.Enabled)
        {
            foreach (var row in batch.Rows)
            {
                if (row.ReceivedAt is { } received)
                {
                    _lag.Record((loadedAt - received).TotalSeconds);
                }
            }
        }
    }
}
