using System.Collections.Concurrent;
using System.Globalization;
using System.Numerics;
using System.Text;
using System.Text.Json;
using Amazon.Runtime;
using Tracking.Aws;
using Tracking.Aws.Kinesis;
using Tracking.Aws.Retries;
using Tracking.Testing;

namespace Tracking.Consumer.Tests.Support;

/// <summary>A fresh kinesalite stream and a client to fill, split and merge it.</summary>
public sealed class TestStreamOnKinesalite : IDisposable
{
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private readonly ConcurrentDictionary<string, string> _lastSequenceNumbers = new(StringComparer.Ordinal);

    private TestStreamOnKinesalite(Uri serviceUrl, string name)
    {
        Name = name;
        Client = new KinesisClient(
            _http,
            new AwsClientSettings
            {
                Region = "us-east-1",
                ServiceUrl = serviceUrl,
                Retry = new AwsRetryOptions { MaxAttempts = 10, BaseDelay = TimeSpan.FromMilliseconds(50), MaxDelay = TimeSpan.FromSeconds(1) },
            },
            new BasicAWSCredentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"));
    }

    public string Name { get; }

    /// <summary>The last sequence number written to each shard: where a consumer that read everything has its checkpoints.</summary>
    public IReadOnlyDictionary<string, string> LastSequenceNumbers => _lastSequenceNumbers;

    public KinesisClient Client { get; }

    public static async Task<TestStreamOnKinesalite> CreateAsync(Uri serviceUrl, int shards)
    {
        var stream = new TestStreamOnKinesalite(serviceUrl, $"events-{Guid.NewGuid():N}");
        await stream.Client.CreateStreamAsync(new CreateStreamRequest { StreamName = stream.Name, ShardCount = shards });
        await stream.Client.WaitForStreamActiveAsync(stream.Name, TimeSpan.FromSeconds(30));
        return stream;
    }

    /// <summary>Writes records in order, at most 500 per call, resending only what failed.</summary>
    public async Task PutAsync(IReadOnlyList<(string PartitionKey, byte[] Data)> records)
    {
        foreach (var chunk in records.Chunk(500))
        {
            var pending = chunk.Select(r => new PutRecordsRequestEntry { PartitionKey = r.PartitionKey, Data = r.Data }).ToList();
            for (var attempt = 0; pending.Count > 0; attempt++)
            {
                if (attempt == 20)
                {
                    throw new InvalidOperationException($"{pending.Count} records still refused after 20 attempts");
                }

                var response = await Client.PutRecordsAsync(new PutRecordsRequest { StreamName = Name, Records = pending });
                foreach (var written in response.Records.Where(r => r.Succeeded))
                {
                    _lastSequenceNumbers.AddOrUpdate(
                        written.ShardId!,
                        written.SequenceNumber!,
                        (_, old) => BigInteger.Parse(old, CultureInfo.InvariantCulture) > BigInteger.Parse(written.SequenceNumber!, CultureInfo.InvariantCulture) ? old : written.SequenceNumber!);
                }

                pending = pending.Where((_, i) => !response.Records[i].Succeeded).ToList();
            }
        }
    }

    /// <summary>Writes one user's events one call at a time, so their order in the shard is the order given.</summary>
    public Task PutEventsAsync(IEnumerable<TestEvent> events) =>
        PutAsync(events.Select(e => (e.UserId, e.ToJson())).ToList());

    /// <summary>How many Kinesis records the stream holds now (an aggregated record counts once), read from every shard's trim horizon.</summary>
    public async Task<long> CountRecordsAsync()
    {
        long count = 0;
        foreach (var shard in await Client.ListAllShardsAsync(Name))
        {
            var iterator = (await Client.GetShardIteratorAsync(new GetShardIteratorRequest { StreamName = Name, ShardId = shard.ShardId, ShardIteratorType = ShardIteratorType.TrimHorizon })).ShardIterator;
            while (true)
            {
                var page = await Client.GetRecordsAsync(new GetRecordsRequest { ShardIterator = iterator, Limit = KinesisLimits.MaxRecordsPerGetRecords });
                count += page.Records.Count;
                if (page.Records.Count == 0 || page.NextShardIterator is null)
                {
                    break;
                }

                iterator = page.NextShardIterator;
            }
        }

        return count;
    }

    /// <summary>Deletes the stream and creates it again under its name with <paramref name="shards"/> shards, in a later
    /// second than the first (kinesalite gives creation times in whole seconds, 2 s early), as an operator does in staging.</summary>
    public async Task RecreateAsync(int shards)
    {
        var first = (await Client.DescribeStreamSummaryAsync(new DescribeStreamSummaryRequest { StreamName = Name })).StreamDescriptionSummary.StreamCreationTimestamp!.Value;
        await Client.DeleteStreamAsync(new DeleteStreamRequest { StreamName = Name });
        await Client.WaitForStreamDeletedAsync(Name, TimeSpan.FromSeconds(30));
        // The emulator's clock is the real one, and a timer may fire a millisecond early: this waits on the clock itself.
        var laterSecond = first.AddSeconds(3);
        await Eventually.TrueAsync(() => DateTimeOffset.UtcNow >= laterSecond, $"the real clock passes {laterSecond:O}", TimeSpan.FromSeconds(10));

        _lastSequenceNumbers.Clear();
        await Client.CreateStreamAsync(new CreateStreamRequest { StreamName = Name, ShardCount = shards });
        await Client.WaitForStreamActiveAsync(Name, TimeSpan.FromSeconds(30));
    }

    public async Task<IReadOnlyList<Shard>> OpenShardsAsync() =>
        (await Client.ListAllShardsAsync(Name)).Where(s => s.SequenceNumberRange.EndingSequenceNumber is null).ToList();

    public void Dispose()
    {
        Client.Dispose();
        _http.Dispose();
    }
}

/// <summary>An enriched event as the API writes it to the stream.</summary>
public sealed record TestEvent(string MessageId, string UserId, int Seq)
{
    public static IEnumerable<TestEvent> Many(int users, int perUser, string prefix = "m") =>
        Enumerable.Range(0, perUser).SelectMany(seq => Enumerable.Range(0, users).Select(u => new TestEvent($"{prefix}-{u}-{seq}", $"user-{u}", seq)));

    public byte[] ToJson()
    {
        var now = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture);
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("type", "track");
            json.WriteString("messageId", MessageId);
            json.WriteString("userId", UserId);
            json.WriteString("event", "Step Completed");
            json.WriteStartObject("properties");
            json.WriteNumber("seq", Seq);
            json.WriteEndObject();
            json.WriteStartObject("context");
            json.WriteString("ip", "127.0.0.1");
            json.WriteEndObject();
            json.WriteString("timestamp", now);
            json.WriteString("receivedAt", now);
            json.WriteString("source", "tests");
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    public override string ToString() => Encoding.UTF8.GetString(ToJson());
}
