using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;
using Tracking.Api.Telemetry;
using Tracking.Aws.Errors;
using Tracking.Aws.Kinesis;
using Tracking.Aws.Retries;

namespace Tracking.Api.Delivery.Kinesis;

/// <summary>
/// Writes events to a Kinesis Data Stream with <c>PutRecords</c>, keeping each partition key's events in the
/// order they were accepted.
/// </summary>
/// <remarks>
/// <para>
/// Ordering. The batcher calls <see cref="DeliverAsync"/> in queue order with several batches in flight, and
/// would resend a failed record after later batches went through, so this sink does not hand failures back:
/// it routes each record, in call order, to the lane of the shard its key hashes to (<see cref="ShardMap"/>),
/// and each lane keeps one put in flight and resends what failed before anything newer. Shards are written
/// in parallel; a batch completes when all of its records are in the stream. While the stream fails, batches
/// stay pending, the batcher's in-flight limit stops it from taking more, the queue fills and the API answers
/// 503: nothing is dropped, and the lanes resume by themselves.
/// </para>
/// <para>
/// The one order PutRecords itself can break: a request can fail for record 2 and succeed for record 3, and
/// record 3 is already in the stream when 2 is sent again. Such records are counted as
/// <c>tracking.sink.reordered</c>; consumers that need strict order sort one key's events by <c>timestamp</c>.
/// </para>
/// <para>
/// Resharding. When the monitor brings a new shard list, records already queued stay in their lanes (Kinesis
/// routes them by key, whatever the lane) and new batches wait until those lanes are empty, so no key is ever
/// in two lanes at once. Failures and recoveries are reported through <see cref="DeliveryHealth"/>, which
/// <c>/health/ready</c> reads, and the failed/recovered counters; the batcher counts what was sent.
/// </para>
/// </remarks>
internal sealed partial class KinesisSink : IEventSink, IAsyncDisposable
{
    private readonly IKinesisClient _client;
    private readonly KinesisSinkOptions _options;
    private readonly RetryPolicy _retries;
    private readonly DeliveryHealth _status;
    private readonly TrackingMetrics _metrics;
    private readonly ILogger<KinesisSink> _logger;
    private readonly Uri _endpoint;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Queue<(List<PendingRecord> Records, PendingBatch Batch)> _held = new();
    private readonly ShardRefreshSignal _refresh = new();
    private readonly ShardWriter _writer;
    private ShardMap _map = ShardMap.Unknown;
    private ShardMap? _nextMap;
    private ShardLane[] _lanes;
    private bool _disposed;

    public KinesisSink(
        IKinesisClient client,
        IOptions<KinesisSinkOptions> options,
        IOptions<BatchingOptions> batching,
        DeliveryHealth status,
        TrackingMetrics metrics,
        TimeProvider time,
        ILogger<KinesisSink> logger)
    {
        _client = client;
        _options = options.Value;
        _retries = batching.Value.Retries();
        _status = status;
        _metrics = metrics;
        Time = time;
        _logger = logger;
        _endpoint = client.Endpoint;
        Stopping = _stopping.Token;
        _writer = new ShardWriter(client, _options.StreamName!, _endpoint, status, metrics, time, _refresh, logger);
        _lanes = [NewLane(null, null)];
        metrics.ObserveRateLimits(ObserveRates);
    }

    public string Name => "Kinesis";

    public string StreamName => _options.StreamName!;

    public string? Destination => StreamName;

    private Lock Gate { get; } = new();

    private TimeProvider Time { get; }

    /// <summary>Cancelled at disposal; captured once so lanes can still read it after the source is disposed.</summary>
    internal CancellationToken Stopping { get; }

    /// <summary>Completes when a lane saw a sign that the shard list is stale; the monitor then reads it again.</summary>
    internal Task RefreshRequested => _refresh.Requested;

    /// <summary>The shards records are routed to now, for tests and logs.</summary>
    internal ShardMap Map
    {
        get
        {
            lock (Gate)
            {
                return _map;
            }
        }
    }

    public async Task<DeliveryResult> DeliverAsync(IReadOnlyList<EnrichedEvent> batch, CancellationToken cancellationToken)
    {
        if (batch.Count == 0)
        {
            return DeliveryResult.Delivered;
        }

        var pending = new PendingBatch(batch.Count);
        var records = new List<PendingRecord>(batch.Count);
        for (var i = 0; i < batch.Count; i++)
        {
            records.Add(new PendingRecord(batch[i], pending));
        }

        // Routed before the first await, so records enter their lanes in the order the batcher called.
        lock (Gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_nextMap is not null)
            {
                _held.Enqueue((records, pending));
            }
            else
            {
                Route(records);
            }
        }

        await pending.Completion.WaitAsync(cancellationToken);
        return DeliveryResult.Delivered;
    }

    /// <summary>Kinesis has nothing to finalize: a record is durable once PutRecords says so.</summary>
    public Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Switches to the stream's current open shards (a no-op when they are the ones in use).</summary>
    public void UseShards(ShardMap map)
    {
        lock (Gate)
        {
            if ((_nextMap ?? _map).SameShardsAs(map))
            {
                return;
            }

            LogShardsChanged(_logger, StreamName, map.Count, string.Join(", ", map.ShardIds));
            _nextMap = map;
            TrySwitchMap();
        }
    }

    /// <summary>Asks the monitor to read the shard list again soon.</summary>
    public void RequestRefresh() => _refresh.Request();

    /// <summary>Called by the monitor before it reads the shard list, so requests made meanwhile count.</summary>
    internal void ResetRefreshRequest() => _refresh.Reset();

    public async ValueTask DisposeAsync()
    {
        List<PendingBatch> abandoned;
        lock (Gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            abandoned = [.. _lanes.SelectMany(l => l.Queued).Select(r => r.Batch).Concat(_held.Select(h => h.Batch)).Distinct()];
        }

        await _stopping.CancelAsync();
        var reason = new ObjectDisposedException(nameof(KinesisSink), "The Kinesis sink stopped before these events were written.");
        abandoned.ForEach(b => b.Abandon(reason));
        _stopping.Dispose();
    }

    /// <summary>Appends records to their lanes and starts the lanes that were idle. Under the lock.</summary>
    private void Route(List<PendingRecord> records)
    {
        foreach (var record in records)
        {
            _lanes[_map.IndexOf(record.HashKey)].Add(record);
        }

        foreach (var lane in _lanes)
        {
            lane.StartIfIdle();
        }
    }

    /// <summary>Installs the pending shard map once every lane of the current one is empty. Under the lock.</summary>
    private void TrySwitchMap()
    {
        if (_nextMap is null || _disposed || _lanes.Any(l => l.IsBusy))
        {
            return;
        }

        var previous = _lanes.ToDictionary(l => l.ShardId ?? string.Empty);
        _map = _nextMap;
        _nextMap = null;
        _lanes = [.. _map.ShardIds.Select(id => NewLane(id, id is not null && previous.TryGetValue(id, out var kept) ? kept.Rate : null))];
        while (_held.TryDequeue(out var held))
        {
            Route(held.Records);
        }
    }

    // A lane tells the sink only that it went idle (under the lock), which lets a pending shard map take over.
    private ShardLane NewLane(string? shardId, ShardSendRate? rate) =>
        new(shardId, rate ?? new ShardSendRate(_options.ShardRecordsPerSecond, _options.ShardBytesPerSecond, Time), _writer, Gate, _retries, _options.Aggregation ? _options.AggregationMaxBytes : null, Time, TrySwitchMap, Stopping);

    private IEnumerable<Measurement<double>> ObserveRates()
    {
        var lanes = Volatile.Read(ref _lanes);
        foreach (var lane in lanes)
        {
            yield return new Measurement<double>(lane.Rate.RecordsPerSecond, new KeyValuePair<string, object?>("sink", Name), new KeyValuePair<string, object?>("shard", lane.ShardId ?? "unknown"));
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Stream {Stream} has {Count} open shards: {Shards}")]
    private static partial void LogShardsChanged(ILogger logger, string stream, int count, string shards);
}
