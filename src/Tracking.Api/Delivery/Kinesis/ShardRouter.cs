using Tracking.Aws.Retries;

namespace Tracking.Api.Delivery.Kinesis;

/// <summary>
/// Owns the Kinesis sink's shard map and its lanes, one per open shard: it appends each batch's records, in the order
/// it is given them, to the lanes of the shards their keys hash to, and starts the lanes that were idle. A new shard
/// map waits until every lane of the current one is idle, and batches routed meanwhile are held and then routed by the
/// new map in the order they came, so no key is ever in two lanes at once. Lanes tell it only that they went idle
/// (<see cref="IShardLaneListener"/>); it calls into lanes, never the other way round under a lock.
/// </summary>
internal sealed partial class ShardRouter : IShardLaneListener, IAsyncDisposable
{
    private readonly Lock _gate = new();
    private readonly ShardWriter _writer;
    private readonly KinesisSinkOptions _options;
    private readonly RetryPolicy _retries;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Queue<List<PendingRecord>> _held = new();
    private ShardMap _map = ShardMap.Unknown;
    private ShardMap? _nextMap;
    private ShardLane[] _lanes;
    private bool _disposed;

    public ShardRouter(ShardWriter writer, KinesisSinkOptions options, RetryPolicy retries, TimeProvider time, ILogger logger)
    {
        _writer = writer;
        _options = options;
        _retries = retries;
        _time = time;
        _logger = logger;
        Stopping = _stopping.Token;
        _lanes = [NewLane(null, null)];
    }

    /// <summary>Cancelled at disposal; captured once so lanes can still read it after the source is disposed.</summary>
    public CancellationToken Stopping { get; }

    /// <summary>The shards records are routed to now.</summary>
    public ShardMap Map
    {
        get
        {
            lock (_gate)
            {
                return _map;
            }
        }
    }

    /// <summary>The lanes of the current map, for the rate gauges.</summary>
    public IReadOnlyList<ShardLane> Lanes => Volatile.Read(ref _lanes);

    /// <summary>
    /// Routes <paramref name="records"/> (or holds them while a new map waits to take over); false once disposed. Each
    /// record completes its batch when it is written; callers await that.
    /// </summary>
    public bool TryRoute(List<PendingRecord> records)
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return false;
            }

            if (_nextMap is not null)
            {
                _held.Enqueue(records);
            }
            else
            {
                Route(records);
            }

            return true;
        }
    }

    /// <summary>Switches to <paramref name="map"/> once the current lanes are idle (a no-op when its shards are the ones in use or coming).</summary>
    public void UseShards(ShardMap map)
    {
        lock (_gate)
        {
            if ((_nextMap ?? _map).SameShardsAs(map))
            {
                return;
            }

            LogShardsChanged(_logger, _options.StreamName!, map.Count, string.Join(", ", map.ShardIds));
            _nextMap = map;
            TrySwitchMap();
        }
    }

    void IShardLaneListener.LaneWentIdle()
    {
        lock (_gate)
        {
            TrySwitchMap();
        }
    }

    /// <summary>Stops the lanes and fails every batch not yet written.</summary>
    public async ValueTask DisposeAsync()
    {
        List<PendingBatch> abandoned;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            abandoned = [.. _lanes.SelectMany(l => l.Queued).Concat(_held.SelectMany(h => h)).Select(r => r.Batch).Distinct()];
        }

        await _stopping.CancelAsync();
        var reason = new ObjectDisposedException(nameof(KinesisSink), "The Kinesis sink stopped before these events were written.");
        abandoned.ForEach(b => b.Abandon(reason));
        _stopping.Dispose();
    }

    /// <summary>Appends records to their lanes, each lane's share at once, and starts the lanes that were idle. Under the lock.</summary>
    private void Route(List<PendingRecord> records)
    {
        if (_lanes.Length == 1)
        {
            _lanes[0].Enqueue(records);
            return;
        }

        var shares = new List<PendingRecord>?[_lanes.Length];
        foreach (var record in records)
        {
            (shares[_map.IndexOf(record.HashKey)] ??= []).Add(record);
        }

        for (var i = 0; i < shares.Length; i++)
        {
            if (shares[i] is { } share)
            {
                _lanes[i].Enqueue(share);
            }
        }
    }

    /// <summary>Installs the pending shard map once every lane of the current one is idle. Under the lock.</summary>
    /// <remarks>
    /// While a map is pending no records reach the current lanes, so a lane once idle stays idle, and the last one to
    /// report idleness finds them all idle.
    /// </remarks>
    private void TrySwitchMap()
    {
        if (_nextMap is null || _disposed || _lanes.Any(l => l.IsBusy))
        {
            return;
        }

        var previous = _lanes.ToDictionary(l => l.ShardId ?? string.Empty);
        _map = _nextMap;
        _nextMap = null;
        Volatile.Write(ref _lanes, [.. _map.ShardIds.Select(id => NewLane(id, id is not null && previous.TryGetValue(id, out var kept) ? kept.Rate : null))]);
        while (_held.TryDequeue(out var held))
        {
            Route(held);
        }
    }

    private ShardLane NewLane(string? shardId, ShardSendRate? rate) =>
        new(shardId, rate ?? new ShardSendRate(_options.ShardRecordsPerSecond, _options.ShardBytesPerSecond, _time), _writer, _retries, _options.Aggregation ? _options.AggregationMaxBytes : null, _time, this, Stopping);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stream {Stream} has {Count} open shards: {Shards}")]
    private static partial void LogShardsChanged(ILogger logger, string stream, int count, string shards);
}
