using System.Text;
using Tracking.Consumer.Tests.Support;
using Tracking.Testing.Emulators;
using Tracking.Testing.Postgres;
using Xunit.Abstractions;

namespace Tracking.Consumer.Tests.Integration;

/// <summary>
/// Records aggregated by AWS's own <c>aws-kinesis-agg</c> module (the Kinesis Producer Library's format) put straight
/// into kinesalite, read by the real consumer process into real PostgreSQL.
/// </summary>
[Collection(Infrastructure.Name)]
public sealed class KplAggregationTests(PostgresServer postgres, KinesaliteFixture kinesalite, ITestOutputHelper output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task AggregatedRecordsBetweenPlainOnesAreLoadedOncePerUserRecordAndABrokenOneIsOneDeadLetter()
    {
        using var stream = await TestStreamOnKinesalite.CreateAsync(kinesalite.ServiceUrl, shards: 2);
        var warehouse = new WarehouseDb(await postgres.CreateDatabaseAsync("kpl"));
        var events = TestEvent.Many(users: 20, perUser: 30).ToList();

        // Each user's events in three runs: plain records, one aggregate, plain records again.
        var runs = events.GroupBy(e => e.UserId).SelectMany(user => user.Chunk(10).Select((run, i) => (Aggregated: i == 1, Run: run))).ToList();
        var aggregates = await AwsKinesisAgg.AggregateGroupsAsync(
            runs.Where(r => r.Aggregated).Select(r => r.Run.Select(e => new AggRecord(e.UserId, null, e.ToJson())))
                .Append(events.Take(3).Select(e => new AggRecord(e.UserId, null, e.ToJson())))
                .Append([new AggRecord("anonymous", null, """{"type":"track","event":"No Id"}"""u8.ToArray()), new AggRecord("anonymous", null, """{"type":"track","event":"No Id"}"""u8.ToArray())])
                .Append([new AggRecord("broken", null, """{"messageId":"never-loaded"}"""u8.ToArray())]));
        var next = 0;
        var records = new List<(string PartitionKey, byte[] Data)>();
        foreach (var (aggregated, run) in runs)
        {
            records.AddRange(aggregated ? aggregates[next++].Select(a => (a.PartitionKey, a.Data)) : run.Select(e => (e.UserId, e.ToJson())));
        }

        var duplicates = Assert.Single(aggregates[next++]);
        var withoutIds = Assert.Single(aggregates[next++]);
        var broken = Assert.Single(aggregates[next]).Data;
        broken[^1] ^= 0x55;
        records.AddRange([(duplicates.PartitionKey, duplicates.Data), (withoutIds.PartitionKey, withoutIds.Data), ("broken", broken)]);
        await stream.PutAsync(records);

        await using var consumer = ConsumerProcess.Start(ConsumerProcess.Settings(kinesalite.ServiceUrl, stream.Name, warehouse.ConnectionString, "worker-a"));
        await warehouse.WaitForCheckpointsAsync(stream.LastSequenceNumbers, Patience, consumer);

        var ids = await warehouse.MessageIdsAsync();
        Assert.Equal(events.Count + 2, await warehouse.EventCountAsync());
        Assert.Equal(events.Count + 2, ids.Count);
        Assert.Superset(events.Select(e => e.MessageId).ToHashSet(), ids);
        Assert.Equal(2, ids.Count(id => id.StartsWith($"kinesis:{stream.Name}:", StringComparison.Ordinal)));
        var letters = await warehouse.RowsAsync("SELECT reason, payload FROM dead_letters");
        var letter = Assert.Single(letters);
        Assert.Contains("MD5", (string)letter[0]!, StringComparison.Ordinal);
        Assert.Equal(broken, (byte[])letter[1]!);
    }

    [Fact]
    public async Task EveryUserRecordIsLoadedOnceThoughTheConsumerIsKilledWhileLoadingAggregatedRecords()
    {
        const int PerAggregate = 25;
        using var stream = await TestStreamOnKinesalite.CreateAsync(kinesalite.ServiceUrl, shards: 2);
        var warehouse = new WarehouseDb(await postgres.CreateDatabaseAsync("kplkill"));
        var events = TestEvent.Many(users: 100, perUser: 50).ToList();
        var aggregates = await AwsKinesisAgg.AggregateGroupsAsync(
            events.GroupBy(e => e.UserId).SelectMany(user => user.Chunk(PerAggregate)).Select(run => run.Select(e => new AggRecord(e.UserId, null, e.ToJson()))));
        Assert.All(aggregates, a => Assert.Single(a));
        var settings = ConsumerProcess.Settings(kinesalite.ServiceUrl, stream.Name, warehouse.ConnectionString, "worker-a", TimeSpan.FromSeconds(3));

        // A few Kinesis records per read and per load: many transactions for a kill to land in.
        settings["Consumer:Batching:MaxRows"] = "4";
        var producing = stream.PutAsync([.. aggregates.Select(a => (a[0].PartitionKey, a[0].Data))]);
        var consumer = ConsumerProcess.Start(settings);
        try
        {
            var loaded = 0L;
            for (var kill = 1; kill <= 3; kill++)
            {
                await warehouse.WaitForEventCountAsync(Math.Min(loaded + 1 + (events.Count / 5), events.Count), Patience, consumer);
                await consumer.KillAsync();
                loaded = await warehouse.EventCountAsync();
                output.WriteLine($"kill {kill} at {loaded} rows");

                // Each load commits whole aggregated records with their checkpoint, never a part of one.
                Assert.Equal(0, loaded % PerAggregate);
                await consumer.DisposeAsync();
                consumer = ConsumerProcess.Start(settings);
            }

            await producing;
            await warehouse.WaitForCheckpointsAsync(stream.LastSequenceNumbers, Patience, consumer);

            Assert.Equal(events.Count, await warehouse.EventCountAsync());
            Assert.Equal(events.Select(e => e.MessageId).ToHashSet(), await warehouse.MessageIdsAsync());
            Assert.Equal(0, await warehouse.ScalarAsync<long>("SELECT count(*) FROM dead_letters"));
        }
        finally
        {
            await consumer.DisposeAsync();
        }
    }
}
