using System.Globalization;
using System.Numerics;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using Tracking.Aws.Kinesis;
using Tracking.Consumer.Loading;
using Tracking.Consumer.Tests.Support;
using Tracking.Testing.Emulators;
using Tracking.Testing.Postgres;
using Xunit.Abstractions;

namespace Tracking.Consumer.Tests.Integration;

/// <summary>Records no API wrote, put straight into the stream between good ones, read and loaded by the real consumer process.</summary>
[Collection(Infrastructure.Name)]
public sealed class RecordFuzzTests(PostgresServer postgres, KinesaliteFixture kinesalite, ITestOutputHelper output)
{
    /// <summary>The seed of every run unless <c>FUZZ_SEED</c> names another (a run that failed, or a new one to try).</summary>
    private const int DefaultSeed = 150_2026;

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task RandomMutationsOfRealRecordsAreEachLoadedOrDeadLetteredTheGoodOnesAroundThemLoadOnceAndEveryShardReachesItsLastRecord()
    {
        const int Good = 300;
        const int Mutated = 500;
        var seed = Environment.GetEnvironmentVariable("FUZZ_SEED") is { Length: > 0 } chosen ? int.Parse(chosen, CultureInfo.InvariantCulture) : DefaultSeed;
        var run = $"(FUZZ_SEED={seed})";
        output.WriteLine($"FUZZ_SEED={seed}");
        var random = new Random(seed);
        var mutator = new RecordMutator(seed);
        using var stream = await TestStreamOnKinesalite.CreateAsync(kinesalite.ServiceUrl, shards: 2);
        var warehouse = new WarehouseDb(await postgres.CreateDatabaseAsync("fuzz"));

        // Good records: as the API writes them, some behind a byte order mark, which is no part of the JSON.
        var good = Enumerable.Range(0, Good).Select(i => (Id: $"good-{i}", Data: i % 10 == 0 ? [0xef, 0xbb, 0xbf, .. ApiRecord($"good-{i}", i)] : ApiRecord($"good-{i}", i))).ToList();
        var mutated = Named().Concat(Enumerable.Range(0, Mutated).Select(i => mutator.Mutate(ApiRecord($"bad-{i}-{random.Next():x8}", i)))).ToList();
        var records = good.Select(g => (GoodId: (string?)g.Id, g.Data))
            .Concat(mutated.Select(m => (GoodId: (string?)null, Data: m)))
            .OrderBy(_ => random.Next())
            .ToList();
        var written = await PutAsync(stream, records.Select(r => r.Data).ToList(), random);

        await using var consumer = ConsumerProcess.Start(ConsumerProcess.Settings(kinesalite.ServiceUrl, stream.Name, warehouse.ConnectionString, "worker-a"));
        var last = written.GroupBy(w => w.ShardId).ToDictionary(g => g.Key, g => g.MaxBy(w => BigInteger.Parse(w.SequenceNumber, CultureInfo.InvariantCulture)).SequenceNumber);
        try
        {
            await warehouse.WaitForCheckpointsAsync(last, Patience, consumer);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            throw new Xunit.Sdk.XunitException($"{run} the shards never reached their last records: {exception.Message}");
        }

        var loaded = (await warehouse.RowsAsync("SELECT message_id, properties::text FROM events")).ToDictionary(r => (string)r[0]!, r => (string?)r[1]);
        var letters = (await warehouse.RowsAsync("SELECT sequence_number, reason, payload FROM dead_letters"))
            .ToDictionary(r => (string)r[0]!, r => (Reason: (string)r[1]!, Payload: (byte[])r[2]!));

        // Every good record once, whole: the mutated ones never carry a good one's id.
        foreach (var (id, index) in good.Select((g, i) => (g.Id, i)))
        {
            Assert.True(loaded.TryGetValue(id, out var properties), $"{run} good record {id} was not loaded");
            Assert.Equal(index, JsonDocument.Parse(properties!).RootElement.GetProperty("seq").GetInt32());
        }

        var expectedIds = new HashSet<string>(good.Select(g => g.Id), StringComparer.Ordinal);
        var expectedLetters = 0;
        for (var i = 0; i < records.Count; i++)
        {
            var (shardId, sequenceNumber) = written[i];
            var data = records[i].Data;
            var what = $"{run} record {i} at {shardId}/{sequenceNumber}: {Convert.ToHexString(data.AsSpan(0, Math.Min(data.Length, 2048)))}";
            letters.TryGetValue(sequenceNumber, out var letter);

            // Judged without the consumer's own parser: such records can never be rows.
            if (!IsJsonObject(data))
            {
                Assert.True(letter.Reason is { Length: > 0 }, $"no dead letter with a reason for {what}");
            }

            var (row, dead) = EventRecords.Parse(stream.Name, shardId, new KinesisRecord { SequenceNumber = sequenceNumber, PartitionKey = "k", Data = data });
            if (dead is not null)
            {
                Assert.True(records[i].GoodId is null, $"a good record was refused: {what}: {dead.Reason}");
                Assert.True(letter.Reason is not null, $"no dead letter for {what}: {dead.Reason}");
                Assert.Equal(dead.Reason, letter.Reason);
                Assert.True(data.AsSpan().SequenceEqual(letter.Payload), $"the dead letter of {what} is not the record byte for byte");
                expectedLetters++;
            }
            else
            {
                Assert.True(letter.Reason is null, $"{what} was dead-lettered: {letter.Reason}");
                Assert.True(loaded.ContainsKey(row!.MessageId), $"{what} was neither loaded as {row.MessageId} nor dead-lettered");
                expectedIds.Add(row.MessageId);
            }
        }

        // Everything EventRecords let through PostgreSQL took, and nothing was loaded that no record accounts for.
        Assert.True(expectedLetters == letters.Count, $"{run} {letters.Count} dead letters, {expectedLetters} expected");
        Assert.True(expectedIds.SetEquals(loaded.Keys), $"{run} loaded ids that no record accounts for: {string.Join(", ", loaded.Keys.Except(expectedIds).Take(10))}");
        output.WriteLine($"{records.Count} records: {loaded.Count} rows, {letters.Count} dead letters");
    }

    /// <summary>A record shaped as the API's enricher writes it: times in UTC to the millisecond, context with the
    /// server's members, non-ASCII text in keys and values.</summary>
    internal static byte[] ApiRecord(string messageId, int seq)
    {
        var at = new DateTimeOffset(2026, 12, 7, 5, 0, 0, TimeSpan.Zero).AddMilliseconds(seq * 137);
        string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fff'Z'", CultureInfo.InvariantCulture);
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("type", "track");
            json.WriteString("messageId", messageId);
            json.WriteString("userId", $"user-{seq % 37}");
            json.WriteString("anonymousId", $"anon-{seq % 41}");
            json.WriteString("event", "Order Completed");
            json.WriteStartObject("properties");
            json.WriteNumber("seq", seq);
            json.WriteNumber("revenue", 19.99);
            json.WriteString("currency", "EUR");
            json.WriteString("note", "café ☕ 𝄞");
            json.WriteStartArray("products");
            json.WriteStartObject();
            json.WriteString("sku", "A-1");
            json.WriteNumber("quantity", 2);
            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteEndObject();
            json.WriteStartObject("context");
            json.WriteStartObject("library");
            json.WriteString("name", "analytics.js");
            json.WriteString("version", "2.11.1");
            json.WriteEndObject();
            json.WriteStartObject("page");
            json.WriteString("path", "/checkout");
            json.WriteString("url", "https://shop.example/checkout?step=2");
            json.WriteEndObject();
            json.WriteString("locale", "de-DE");
            json.WriteString("ip", "127.0.0.1");
            json.WriteString("userAgent", "Mozilla/5.0 (X11; Linux x86_64)");
            json.WriteEndObject();
            json.WriteStartObject("integrations");
            json.WriteBoolean("All", true);
            json.WriteEndObject();
            json.WriteString("timestamp", Time(at));
            json.WriteString("originalTimestamp", Time(at.AddSeconds(-3)));
            json.WriteString("sentAt", Time(at.AddSeconds(-2)));
            json.WriteString("receivedAt", Time(at));
            json.WriteString("source", "web");
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary>The cases the issue names, in every run whatever the seed: a byte that is not UTF-8 inside a string
    /// and an escaped lone surrogate as a key stopped a shard; the others are their neighbours.</summary>
    private static IEnumerable<byte[]> Named()
    {
        var text = Encoding.UTF8.GetString(ApiRecord("named", 0));
        byte[] Replace(string old, byte[] replacement)
        {
            var at = text.IndexOf(old, StringComparison.Ordinal);
            return [.. Encoding.UTF8.GetBytes(text[..at]), .. replacement, .. Encoding.UTF8.GetBytes(text[(at + old.Length)..])];
        }

        byte[] Id(string id) => Encoding.UTF8.GetBytes(text.Replace("\"named\"", $"\"named-{id}\"", StringComparison.Ordinal));

        // Bytes that are not UTF-8 in a key: System.Text.Json's reader checks a string value's UTF-8 as it reads,
        // but a key's only when it is turned into text, which threw outside the dead-letter path.
        yield return Replace("\"currency\"", [(byte)'"', 0xed, 0xa0, 0x80, (byte)'"']); // a surrogate encoded as UTF-8
        yield return Replace("\"currency\"", [(byte)'"', 0x63, 0xc0, 0xaf, (byte)'"']); // an overlong form
        yield return Replace("\"type\"", [(byte)'"', 0x74, 0xf0, 0x9f, 0x98, (byte)'"']); // a truncated sequence, top level
        yield return Replace("Order Completed", [0x4f, 0xc0, 0xaf, 0x72]); // and in values
        yield return Replace("EUR", [0xf0, 0x9f, 0x98]);
        yield return Replace("Order Completed", [0xff]);
        yield return Replace("EUR", [0xc3, 0x28]);
        yield return Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(Id("key-top")).Replace("{\"type\"", "{\"\\ud800\":1,\"type\"", StringComparison.Ordinal));
        yield return Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(Id("key-nested")).Replace("\"currency\"", "\"\\ud800\"", StringComparison.Ordinal));
        yield return Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(Id("key-low")).Replace("\"currency\"", "\"\\udc00x\"", StringComparison.Ordinal));
        yield return Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(Id("value")).Replace("EUR", "\\ud800", StringComparison.Ordinal));
        yield return Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(Id("nul-key")).Replace("\"currency\"", "\"cur\\u0000\"", StringComparison.Ordinal));
        yield return Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(Id("nul-value")).Replace("EUR", "E\\u0000R", StringComparison.Ordinal));
        yield return Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(Id("big-number")).Replace("19.99", "1e400", StringComparison.Ordinal));
        yield return Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(Id("time-min")).Replace("\"2026-12-07T04:59:57.000Z\"", "\"0001-01-01T00:00:00Z\"", StringComparison.Ordinal));
        yield return Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(Id("time-culture")).Replace("\"2026-12-07T04:59:57.000Z\"", "\"1/2/2026\"", StringComparison.Ordinal));
        yield return Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(Id("huge")).Replace("EUR", new string('x', 600_000), StringComparison.Ordinal));
        yield return Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(Id("deep")).Replace("\"EUR\"", string.Concat(Enumerable.Repeat("[", 70)) + string.Concat(Enumerable.Repeat("]", 70)), StringComparison.Ordinal));
        foreach (var shape in new[] { "[]", "[{}]", "42", "\"text\"", "null", "true", "", "\uFEFF", "\uFEFF[]" })
        {
            yield return Encoding.UTF8.GetBytes(shape);
        }
    }

    /// <summary>Whether the record, less a leading byte order mark, is UTF-8 throughout and parses as one JSON object.</summary>
    private static bool IsJsonObject(byte[] data)
    {
        var json = data.AsSpan().StartsWith("\uFEFF"u8) ? data[3..] : data;
        if (!Utf8.IsValid(json))
        {
            return false;
        }

        try
        {
            using var document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 1000 });
            return document.RootElement.ValueKind == JsonValueKind.Object;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>Writes the records, at most 100 a call under random partition keys, resending what was refused;
    /// returns where each landed, in the order given.</summary>
    private static async Task<List<(string ShardId, string SequenceNumber)>> PutAsync(TestStreamOnKinesalite stream, List<byte[]> records, Random random)
    {
        var written = new (string ShardId, string SequenceNumber)[records.Count];
        foreach (var chunk in Enumerable.Range(0, records.Count).Chunk(100))
        {
            var pending = chunk.ToList();
            for (var attempt = 0; pending.Count > 0; attempt++)
            {
                Assert.True(attempt < 20, $"{pending.Count} records still refused after 20 attempts");
                var response = await stream.Client.PutRecordsAsync(new PutRecordsRequest
                {
                    StreamName = stream.Name,
                    Records = pending.Select(i => new PutRecordsRequestEntry { PartitionKey = $"key-{random.Next(1000)}", Data = records[i] }).ToList(),
                });
                var refused = new List<int>();
                for (var j = 0; j < pending.Count; j++)
                {
                    if (response.Records[j].Succeeded)
                    {
                        written[pending[j]] = (response.Records[j].ShardId!, response.Records[j].SequenceNumber!);
                    }
                    else
                    {
                        refused.Add(pending[j]);
                    }
                }

                pending = refused;
            }
        }

        return [.. written];
    }
}
