using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;
using Tracking.Api.Telemetry;
using Tracking.Aws.Errors;
using Tracking.Aws.Kinesis;

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
/// in two lanes at once. Failures and recoveries are reported through <see cref="SinkStatus"/>, which
/// <c>/health/ready</c> reads, and the failed/recovered counters; the batcher counts what was sent.
/// </para>
/// </remarks>
internal sealed partial class KinesisSink : IEventSink, IAsyncDisposable
{
    private const string Permission = "kinesis:PutRecords";

    private readonly IKinesisClient _client;
    private readonly KinesisSinkOptions _options;
    private readonly BatchingOptions _batching;
    private readonly SinkStatus _status;
    private readonly TrackingMetrics _metrics;
    private readonly ILogger<KinesisSink> _logger;
    private readonly Uri _endpoint;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Queue<(List<PendingRecord> Records, PendingBatch Batch)> _held = new();
    private TaskCompletionSource _refreshRequested = NewSignal();
    private ShardMap _map = ShardMap.Unknown;
    private ShardMap? _nextMap;
    private ShardLane[] _lanes;
    private int _failingLanes;
    private bool _disposed;

    public KinesisSink(
        IKinesisClient client,
        IOptions<KinesisSinkOptions> options,
        IOptions<BatchingOptions> batching,
        SinkStatus status,
        TrackingMetrics metrics,
        TimeProvider time,
        ILogger<KinesisSink> logger)
    {
        _client = client;
        _options = options.Value;
        _batching = batching.Value;
        _status = status;
        _metrics = metrics;
        Time = time;
        _logger = logger;
        _endpoint = (client as KinesisClient)?.Endpoint ?? _options.ServiceUrl ?? new Uri("https://kinesis.amazonaws.com/");
        Stopping = _stopping.Token;
        _lanes = [NewLane(null, null)];
        metrics.ObserveRateLimits(ObserveRates);
    }

    public string Name => "Kinesis";

    public string StreamName => _options.StreamName!;

    internal Lock Gate { get; } = new();

    internal TimeProvider Time { get; }

    /// <summary>Cancelled at disposal; captured once so lanes can still read it after the source is disposed.</summary>
    internal CancellationToken Stopping { get; }

    internal bool IsStopping => Stopping.IsCancellationRequested;

    /// <summary>Completes when a lane saw a sign that the shard list is stale; the monitor then reads it again.</summary>
    internal Task RefreshRequested => Volatile.Read(ref _refreshRequested).Task;

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
    public void RequestRefresh() => Volatile.Read(ref _refreshRequested).TrySetResult();

    /// <summary>Called by the monitor before it reads the shard list, so requests made meanwhile count.</summary>
    internal void ResetRefreshRequest()
    {
        if (Volatile.Read(ref _refreshRequested).Task.IsCompleted)
        {
            Volatile.Write(ref _refreshRequested, NewSignal());
        }
    }

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

    /// <summary>Called under the lock by a lane whose loop found it empty.</summary>
    internal void OnLaneIdle() => TrySwitchMap();

    /// <summary>Equal-jitter exponential backoff between a lane's failed puts, on the batcher's retry settings.</summary>
    internal TimeSpan Backoff(int failures) => _batching.RetryDelay(failures);

    /// <summary>
    /// Sends one put for a lane and settles its records: written ones complete their batches, the rest are
    /// returned for the lane to resend. Never throws but on shutdown.
    /// </summary>
    internal async Task<PutOutcome> PutAsync(ShardLane lane, List<PendingRecord> records, int previousFailures)
    {
        var entries = new PutRecordsRequestEntry[records.Count];
        for (var i = 0; i < records.Count; i++)
        {
            entries[i] = new PutRecordsRequestEntry { Data = records[i].Event.Json, PartitionKey = records[i].Event.PartitionKey };
        }

        var request = new PutRecordsRequest { StreamName = StreamName, Records = entries };
        var started = Time.GetTimestamp();
        PutRecordsResponse? response = null;
        Exception? error = null;
        _metrics.RequestsInFlight(1, Name);
        try
        {
            response = await _client.PutRecordsAsync(request, Stopping);
        }
        catch (OperationCanceledException) when (IsStopping)
        {
            throw;
        }
        catch (Exception ex)
        {
            error = ex;
        }
        finally
        {
            _metrics.RequestsInFlight(-1, Name);
        }

        var elapsed = Time.GetElapsedTime(started);
        var written = new bool[records.Count];
        var throttled = 0;
        var reordered = 0;
        string? reason = null;
        if (error is not null)
        {
            throttled = error is AwsThrottlingException ? records.Count : 0;
            reason = AwsSinkSettings.Describe(error, $"stream '{StreamName}'", _endpoint, Permission);
            if (error is AwsResourceNotFoundException)
            {
                RequestRefresh();
            }
        }
        else if (response!.Records.Count != records.Count)
        {
            if (response.FailedRecordCount == 0)
            {
                Array.Fill(written, true);
            }
            else
            {
                // Failures without saying which: sending all again may duplicate (the consumer dedupes) but loses nothing.
                reason = $"PutRecords reported {response.FailedRecordCount} failed records but listed {response.Records.Count} results for {records.Count}";
            }
        }
        else
        {
            HashSet<string>? failedKeys = null;
            for (var i = 0; i < records.Count; i++)
            {
                var result = response.Records[i];
                var key = records[i].Event.PartitionKey;
                if (!result.Succeeded)
                {
                    (failedKeys ??= new(StringComparer.Ordinal)).Add(key);
                    throttled += result.ErrorCode is "ProvisionedThroughputExceededException" or "KMSThrottlingException" ? 1 : 0;
                    reason ??= $"{result.ErrorCode}: {result.ErrorMessage}";
                    continue;
                }

                written[i] = true;
                reordered += failedKeys?.Contains(key) == true ? 1 : 0;
                if (lane.ShardId is not null && result.ShardId is not null && result.ShardId != lane.ShardId)
                {
                    // The stream put the key elsewhere than the map says: it was resharded since the last listing.
                    RequestRefresh();
                }
            }
        }

        var failed = new List<PendingRecord>();
        var recovered = 0;
        for (var i = 0; i < records.Count; i++)
        {
            var record = records[i];
            if (!written[i])
            {
                record.FailedAttempts++;
                failed.Add(record);
                continue;
            }

            recovered += record.FailedAttempts > 0 ? 1 : 0;
            record.Batch.RecordWritten();
        }

        _metrics.Request(elapsed, Outcome(failed.Count, records.Count, throttled), Name);
        if (recovered > 0)
        {
            _metrics.Recovered(recovered, Name);
        }

        if (throttled > 0)
        {
            _metrics.Throttled(throttled, Name);
        }

        if (reordered > 0)
        {
            _metrics.Reordered(reordered, Name);
        }

        var shard = lane.ShardId ?? "the stream";
        if (failed.Count == 0)
        {
            lock (Gate)
            {
                if (lane.IsFailing)
                {
                    lane.IsFailing = false;
                    if (--_failingLanes == 0)
                    {
                        _status.Succeeded(SinkStatus.Puts);
                    }

                    LogLaneRecovered(_logger, shard, previousFailures + 1);
                }
            }

            return new PutOutcome([], Throttled: false);
        }

        _metrics.Failed(failed.Count, Name);
        lock (Gate)
        {
            if (!lane.IsFailing)
            {
                lane.IsFailing = true;
                _failingLanes++;
            }

            _status.Failed(SinkStatus.Puts, $"{Name} sink: {failed.Count} of {records.Count} records for {shard} not written: {reason}", Time.GetUtcNow());
        }

        if (previousFailures == 0)
        {
            LogPutFailed(_logger, error, failed.Count, records.Count, shard, reason!);
        }
        else
        {
            LogPutStillFailing(_logger, failed.Count, records.Count, shard, previousFailures + 1, reason!);
        }

        return new PutOutcome(failed, throttled > 0);
    }

    private static string Outcome(int failed, int total, int throttled) =>
        failed == 0 ? "success" : throttled > 0 ? "throttled" : failed < total ? "partial" : "error";

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

    private ShardLane NewLane(string? shardId, ShardSendRate? rate) =>
        new(this, shardId, rate ?? new ShardSendRate(_options.ShardRecordsPerSecond, _options.ShardBytesPerSecond, Time));

    private IEnumerable<Measurement<double>> ObserveRates()
    {
        var lanes = Volatile.Read(ref _lanes);
        foreach (var lane in lanes)
        {
            yield return new Measurement<double>(lane.Rate.RecordsPerSecond, new KeyValuePair<string, object?>("sink", Name), new KeyValuePair<string, object?>("shard", lane.ShardId ?? "unknown"));
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Failed} of {Count} records for {Shard} were not written: {Reason}; retrying them before later records of the shard")]
    private static partial void LogPutFailed(ILogger logger, Exception? exception, int failed, int count, string shard, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Failed} of {Count} records for {Shard} were not written (failure {Failures} in a row): {Reason}")]
    private static partial void LogPutStillFailing(ILogger logger, int failed, int count, string shard, int failures, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Records for {Shard} are being written again after {Failures} failed puts")]
    private static partial void LogLaneRecovered(ILogger logger, string shard, int failures);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stream {Stream} has {Count} open shards: {Shards}")]
    private static partial void LogShardsChanged(ILogger logger, string stream, int count, string shards);
}

/// <summary>What one put left to do: the records to resend first, and whether the stream throttled.</summary>
internal readonly record struct PutOutcome(IReadOnlyList<PendingRecord> Failed, bool Throttled);
