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
        var good = Enumerable.Range(0, Good).Select(i => (Id: $"good-{i}", Data: i % 10 == 0 ? [0xef, 0xbb, 0xbf, .. FuzzRecords.Api($"good-{i}", i)] : FuzzRecords.Api($"good-{i}", i))).ToList();
        var mutated = FuzzRecords.Named().Concat(Enumerable.Range(0, Mutated).Select(i => mutator.Mutate(FuzzRecords.Api($"bad-{i}-{random.Next():x8}", i)))).ToList();
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
            if (!FuzzRecords.IsJsonObject(data))
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
