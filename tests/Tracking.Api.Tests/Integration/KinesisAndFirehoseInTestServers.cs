using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Tracking.Api.Delivery.Kinesis;
using Tracking.Testing.Aws;

namespace Tracking.Api.Tests.Integration;

/// <summary>
/// An HTTP server on 127.0.0.1 (Kestrel, port chosen by the OS) that answers the AWS JSON 1.1 protocol
/// (<c>POST /</c>, <c>X-Amz-Target: Service.Operation</c>, <c>application/x-amz-json-1.1</c>) with what a subclass
/// computes. Not an emulator: it keeps what it stores in memory and lets a test script failures as AWS documents
/// them (per-record error codes, error bodies with <c>__type</c>, 5xx, throttling). Signatures are not checked.
/// </summary>
public abstract class InTestAwsServer : AwsJsonServer
{
    /// <summary>Every call received, by operation name, in arrival order.</summary>
    public List<string> Operations { get; } = [];

    protected object Gate { get; } = new();

    protected Task StartAsync() => StartServerAsync();

    /// <summary>An AWS JSON error body, e.g. <c>{"__type":"ResourceNotFoundException","message":"..."}</c>.</summary>
    public static Answer Error(int status, string type, string message) =>
        new(status, new JsonObject { ["__type"] = type, ["message"] = message }.ToJsonString());

    protected abstract Task<Answer> HandleAsync(string operation, JsonElement body);

    protected sealed override async Task HandleAsync(HttpContext context)
    {
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
        var target = context.Request.Headers["X-Amz-Target"].ToString();
        var operation = target[(target.IndexOf('.', StringComparison.Ordinal) + 1)..];
        lock (Gate)
        {
            Operations.Add(operation);
        }

        using var body = JsonDocument.Parse(buffer.ToArray());
        var answer = await HandleAsync(operation, body.RootElement);
        if (answer.DropConnection)
        {
            context.Abort();
            return;
        }

        context.Response.StatusCode = answer.Status;
        context.Response.ContentType = "application/x-amz-json-1.1";
        context.Response.Headers["x-amzn-RequestId"] = Guid.NewGuid().ToString();
        await context.Response.WriteAsync(answer.Json, context.RequestAborted);
    }

    /// <summary>What the server sends back: a status and JSON body, or an aborted connection.</summary>
    public sealed record Answer(int Status, string Json, bool DropConnection = false)
    {
        public static Answer Dropped { get; } = new(0, string.Empty, DropConnection: true);
    }
}

/// <summary>
/// A Kinesis Data Streams stand-in with <see cref="ShardCount"/> shards of equal hash key ranges: DescribeStreamSummary,
/// ListShards and PutRecords, records routed by the MD5 of their partition key and stored per shard in write order.
/// PutRecords answers can be scripted per call (<see cref="OnPutRecords"/>), and each shard can be given a write
/// capacity past which its records are refused with <c>ProvisionedThroughputExceededException</c>, as a real shard does.
/// </summary>
public sealed class InTestKinesisServer : InTestAwsServer
{
    private readonly List<StoredRecord> _stored = [];
    private readonly double[] _tokens;
    private readonly long[] _refilledAt;
    private readonly int[] _inFlight;
    private long _sequence;

    private InTestKinesisServer(string streamName, int shardCount)
    {
        StreamName = streamName;
        ShardCount = shardCount;
        _tokens = new double[shardCount];
        _refilledAt = new long[shardCount];
        _inFlight = new int[shardCount];
    }

    public string StreamName { get; }

    public int ShardCount { get; }

    /// <summary>When false, every call answers <c>ResourceNotFoundException</c>.</summary>
    public bool StreamExists { get; set; } = true;

    /// <summary>When set, DescribeStreamSummary and ListShards answer this instead.</summary>
    public Answer? DescribeAnswer { get; set; }

    /// <summary>Decides a PutRecords call's answer from its number (from 0) and records; null to store them normally.</summary>
    public Func<int, IReadOnlyList<PutEntry>, PutAnswer?>? OnPutRecords { get; set; }

    /// <summary>Records per second each shard takes (bursting up to one second's worth); null for no limit.</summary>
    public double? ShardRecordsPerSecond { get; set; }

    /// <summary>How long each PutRecords takes to answer, so overlapping calls can be seen.</summary>
    public TimeSpan PutDelay { get; set; }

    public List<PutCall> PutCalls { get; } = [];

    /// <summary>The most PutRecords calls that were under way at once for any one shard, and for the stream.</summary>
    public int MostInFlightPerShard { get; private set; }

    public int MostInFlight { get; private set; }

    public IReadOnlyList<StoredRecord> Stored
    {
        get
        {
            lock (Gate)
            {
                return [.. _stored];
            }
        }
    }

    public static async Task<InTestKinesisServer> StartAsync(string streamName, int shardCount)
    {
        var server = new InTestKinesisServer(streamName, shardCount);
        await server.StartAsync();
        return server;
    }

    /// <summary>The shard a partition key belongs to: its MD5 hash against equal ranges of the 128-bit key space.</summary>
    public int ShardOf(string partitionKey) =>
        ShardCount == 1 ? 0 : (int)(ShardMap.HashKey(partitionKey) / (UInt128.MaxValue / (UInt128)ShardCount + 1));

    public static string ShardId(int shard) => $"shardId-{shard:000000000000}";

    protected override async Task<Answer> HandleAsync(string operation, JsonElement body)
    {
        if (!StreamExists)
        {
            return Error(400, "ResourceNotFoundException", $"Stream {StreamName} under account 111122223333 not found.");
        }

        switch (operation)
        {
            case "DescribeStreamSummary":
                return DescribeAnswer ?? new Answer(200, $$"""
                    {"StreamDescriptionSummary":{"StreamName":"{{StreamName}}","StreamARN":"arn:aws:kinesis:us-east-1:111122223333:stream/{{StreamName}}",
                     "StreamStatus":"ACTIVE","StreamModeDetails":{"StreamMode":"PROVISIONED"},"RetentionPeriodHours":24,
                     "StreamCreationTimestamp":1.7E9,"OpenShardCount":{{ShardCount}},"ConsumerCount":0,"EncryptionType":"NONE"} }
                    """);
            case "ListShards":
                return DescribeAnswer ?? new Answer(200, ListShards());
            case "PutRecords":
                return await PutRecordsAsync(body);
            default:
                return Error(400, "UnknownOperationException", operation);
        }
    }

    private string ListShards()
    {
        var shards = new JsonArray();
        var width = UInt128.MaxValue / (UInt128)ShardCount + 1;
        for (var i = 0; i < ShardCount; i++)
        {
            var start = width * (UInt128)i;
            var end = i == ShardCount - 1 ? UInt128.MaxValue : start + width - 1;
            shards.Add(new JsonObject
            {
                ["ShardId"] = ShardId(i),
                ["HashKeyRange"] = new JsonObject { ["StartingHashKey"] = start.ToString(CultureInfo.InvariantCulture), ["EndingHashKey"] = end.ToString(CultureInfo.InvariantCulture) },
                ["SequenceNumberRange"] = new JsonObject { ["StartingSequenceNumber"] = "1" },
            });
        }

        return new JsonObject { ["Shards"] = shards }.ToJsonString();
    }

    private async Task<Answer> PutRecordsAsync(JsonElement body)
    {
        var entries = body.GetProperty("Records").EnumerateArray()
            .Select(r => new PutEntry(r.GetProperty("PartitionKey").GetString()!, Convert.FromBase64String(r.GetProperty("Data").GetString()!)))
            .ToList();
        var shards = entries.Select(e => ShardOf(e.PartitionKey)).Distinct().ToList();
        int call;
        lock (Gate)
        {
            call = PutCalls.Count;
            PutCalls.Add(new PutCall(Stopwatch.GetTimestamp(), entries));
            foreach (var shard in shards)
            {
                MostInFlightPerShard = Math.Max(MostInFlightPerShard, ++_inFlight[shard]);
            }

            MostInFlight = Math.Max(MostInFlight, _inFlight.Sum());
        }

        try
        {
            if (PutDelay > TimeSpan.Zero)
            {
                await Task.Delay(PutDelay);
            }

            var scripted = OnPutRecords?.Invoke(call, entries);
            if (scripted?.Whole is { } whole)
            {
                return whole;
            }

            var results = new JsonArray();
            var failed = 0;
            lock (Gate)
            {
                var exhausted = new HashSet<int>();
                for (var i = 0; i < entries.Count; i++)
                {
                    var shard = ShardOf(entries[i].PartitionKey);
                    var error = scripted?.RecordErrors?[i];
                    if (error is null && (exhausted.Contains(shard) || !TakeCapacity(shard)))
                    {
                        // Once a shard's second is used up, the rest of the request's records for it are refused too.
                        exhausted.Add(shard);
                        error = "ProvisionedThroughputExceededException";
                    }

                    if (error is not null)
                    {
                        failed++;
                        results.Add(new JsonObject
                        {
                            ["ErrorCode"] = error,
                            ["ErrorMessage"] = error == "InternalFailure"
                                ? "Internal service failure."
                                : $"Rate exceeded for shard {ShardId(shard)} in stream {StreamName} under account 111122223333.",
                        });
                        continue;
                    }

                    var sequence = ++_sequence;
                    _stored.Add(new StoredRecord(shard, sequence, entries[i].PartitionKey, entries[i].Data));
                    results.Add(new JsonObject { ["SequenceNumber"] = sequence.ToString("D56", CultureInfo.InvariantCulture), ["ShardId"] = ShardId(shard) });
                }
            }

            return new Answer(200, new JsonObject { ["FailedRecordCount"] = failed, ["Records"] = results, ["EncryptionType"] = "NONE" }.ToJsonString());
        }
        finally
        {
            lock (Gate)
            {
                foreach (var shard in shards)
                {
                    _inFlight[shard]--;
                }
            }
        }
    }

    private bool TakeCapacity(int shard)
    {
        if (ShardRecordsPerSecond is not { } rate)
        {
            return true;
        }

        var now = Stopwatch.GetTimestamp();
        var elapsed = _refilledAt[shard] == 0 ? 1 : Stopwatch.GetElapsedTime(_refilledAt[shard], now).TotalSeconds;
        _refilledAt[shard] = now;
        _tokens[shard] = Math.Min(rate, _tokens[shard] + elapsed * rate);
        if (_tokens[shard] < 1)
        {
            return false;
        }

        _tokens[shard]--;
        return true;
    }

    public sealed record PutEntry(string PartitionKey, byte[] Data)
    {
        public JsonObject Event => JsonNode.Parse(Data)!.AsObject();
    }

    public sealed record PutCall(long Timestamp, IReadOnlyList<PutEntry> Entries);

    public sealed record StoredRecord(int Shard, long SequenceNumber, string PartitionKey, byte[] Data)
    {
        public JsonObject Event => JsonNode.Parse(Data)!.AsObject();

        public string MessageId => Event["messageId"]!.GetValue<string>();
    }

    /// <summary>A scripted PutRecords answer: a whole-request error, or an error code (or null) per record.</summary>
    public sealed record PutAnswer(Answer? Whole = null, IReadOnlyList<string?>? RecordErrors = null);
}

/// <summary>
/// An Amazon Data Firehose stand-in: DescribeDeliveryStream and PutRecordBatch, storing each record's bytes in
/// arrival order. No Firehose emulator exists; this speaks the documented protocol, including <c>FailedPutCount</c>.
/// </summary>
public sealed class InTestFirehoseServer : InTestAwsServer
{
    private readonly List<byte[]> _stored = [];

    private InTestFirehoseServer(string deliveryStreamName)
    {
        DeliveryStreamName = deliveryStreamName;
    }

    public string DeliveryStreamName { get; }

    public bool StreamExists { get; set; } = true;

    public string Status { get; set; } = "ACTIVE";

    public string Type { get; set; } = "DirectPut";

    /// <summary>Decides a PutRecordBatch call's answer from its number (from 0) and record count; null to store all.</summary>
    public Func<int, int, InTestKinesisServer.PutAnswer?>? OnPutRecordBatch { get; set; }

    public List<int> BatchSizes { get; } = [];

    public IReadOnlyList<byte[]> Stored
    {
        get
        {
            lock (Gate)
            {
                return [.. _stored];
            }
        }
    }

    public static async Task<InTestFirehoseServer> StartAsync(string deliveryStreamName)
    {
        var server = new InTestFirehoseServer(deliveryStreamName);
        await server.StartAsync();
        return server;
    }

    protected override Task<Answer> HandleAsync(string operation, JsonElement body)
    {
        if (!StreamExists)
        {
            return Task.FromResult(Error(400, "ResourceNotFoundException", $"Firehose {DeliveryStreamName} under account 111122223333 not found."));
        }

        return Task.FromResult(operation switch
        {
            "DescribeDeliveryStream" => new Answer(200, $$"""
                {"DeliveryStreamDescription":{"DeliveryStreamName":"{{DeliveryStreamName}}",
                 "DeliveryStreamARN":"arn:aws:firehose:us-east-1:111122223333:deliverystream/{{DeliveryStreamName}}",
                 "DeliveryStreamStatus":"{{Status}}","DeliveryStreamType":"{{Type}}","VersionId":"1",
                 "CreateTimestamp":1.7E9,"Destinations":[{"DestinationId":"destinationId-000000000001"}],"HasMoreDestinations":false} }
                """),
            "PutRecordBatch" => PutRecordBatch(body),
            _ => Error(400, "UnknownOperationException", operation),
        });
    }

    private Answer PutRecordBatch(JsonElement body)
    {
        var records = body.GetProperty("Records").EnumerateArray().Select(r => Convert.FromBase64String(r.GetProperty("Data").GetString()!)).ToList();
        int call;
        lock (Gate)
        {
            call = BatchSizes.Count;
            BatchSizes.Add(records.Count);
        }

        var scripted = OnPutRecordBatch?.Invoke(call, records.Count);
        if (scripted?.Whole is { } whole)
        {
            return whole;
        }

        var responses = new JsonArray();
        var failed = 0;
        lock (Gate)
        {
            for (var i = 0; i < records.Count; i++)
            {
                if (scripted?.RecordErrors?[i] is { } error)
                {
                    failed++;
                    responses.Add(new JsonObject { ["ErrorCode"] = error, ["ErrorMessage"] = error == "ServiceUnavailableException" ? "Slow down." : "Internal service failure." });
                    continue;
                }

                _stored.Add(records[i]);
                responses.Add(new JsonObject { ["RecordId"] = Convert.ToBase64String(Encoding.UTF8.GetBytes($"record-{call}-{i}")) });
            }
        }

        return new Answer(200, new JsonObject { ["FailedPutCount"] = failed, ["Encrypted"] = false, ["RequestResponses"] = responses }.ToJsonString());
    }
}
