using System.Globalization;
using System.Numerics;
using Tracking.Aws.Kinesis;
using Tracking.Consumer.Tests.Support;
using Tracking.Testing.Emulators;
using Tracking.Testing.Postgres;

namespace Tracking.Consumer.Tests.Integration;

/// <summary>Shards split and merged while events flow: children wait for their parents, and each user's order holds.</summary>
[Collection(Infrastructure.Name)]
public sealed class ReshardingTests(PostgresServer postgres, KinesaliteFixture kinesalite)
{
    private const int Users = 40;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task SplittingOneShardAndMergingTwoOthersWhileEventsFlowLosesNothingDuplicatesNothingAndKeepsEachUsersOrder()
    {
        using var stream = await TestStreamOnKinesalite.CreateAsync(kinesalite.ServiceUrl, shards: 3);
        var warehouse = new WarehouseDb(await postgres.CreateDatabaseAsync("reshard"));
        var rounds = 0;

        // Each round writes every user's next event; the rounds go on across the split and the merge.
        async Task WriteRoundsAsync(int count)
        {
            for (var i = 0; i < count; i++, rounds++)
            {
                await stream.PutEventsAsync(Enumerable.Range(0, Users).Select(u => new TestEvent($"m-{u}-{rounds}", $"user-{u}", rounds)));
            }
        }

        await WriteRoundsAsync(15);
        var shards = (await stream.OpenShardsAsync()).OrderBy(s => BigInteger.Parse(s.HashKeyRange.StartingHashKey, CultureInfo.InvariantCulture)).ToList();
        await stream.Client.SplitShardAsync(new SplitShardRequest { StreamName = stream.Name, ShardToSplit = shards[0].ShardId, NewStartingHashKey = Middle(shards[0].HashKeyRange) });
        await stream.Client.WaitForStreamActiveAsync(stream.Name, Patience);
        await WriteRoundsAsync(15);

        // Started now, the consumer finds a parent and its children all holding events: it must finish the parent
        // first. Small loads leave it many chances to get that wrong.
        var settings = ConsumerProcess.Settings(kinesalite.ServiceUrl, stream.Name, warehouse.ConnectionString, "worker-a");
        settings["Consumer:Batching:MaxRows"] = "50";
        settings["Consumer:Leases:ShardListInterval"] = "00:00:01";
        await using var consumer = ConsumerProcess.Start(settings);
        await stream.Client.MergeShardsAsync(new MergeShardsRequest { StreamName = stream.Name, ShardToMerge = shards[1].ShardId, AdjacentShardToMerge = shards[2].ShardId });
        await stream.Client.WaitForStreamActiveAsync(stream.Name, Patience);
        await WriteRoundsAsync(15);

        await warehouse.WaitForCheckpointsAsync(stream.LastSequenceNumbers, Patience, consumer);

        var rows = await warehouse.RowsAsync("SELECT user_id, (properties->>'seq')::int, loaded_at FROM events");
        Assert.Equal(Users * rounds, rows.Count);
        Assert.Equal(Users * rounds, (await warehouse.MessageIdsAsync()).Count);
        foreach (var user in rows.GroupBy(r => (string)r[0]!))
        {
            var loadedAt = user.OrderBy(r => (int)r[1]!).Select(r => (DateTime)r[2]!).ToList();
            Assert.Equal(rounds, loadedAt.Count);
            Assert.True(loadedAt.Zip(loadedAt.Skip(1)).All(p => p.First <= p.Second), $"{user.Key}'s events were loaded out of order");
        }

        // The split parent and both merged parents were read to their ends before their children.
        Assert.Equal(3, await warehouse.ScalarAsync<long>("SELECT count(*) FROM shard_leases WHERE finished"));
        Assert.Equal(6, await warehouse.ScalarAsync<long>("SELECT count(*) FROM shard_leases"));
    }

    private static string Middle(HashKeyRange range) =>
        ((BigInteger.Parse(range.StartingHashKey, CultureInfo.InvariantCulture) + BigInteger.Parse(range.EndingHashKey, CultureInfo.InvariantCulture)) / 2)
        .ToString(CultureInfo.InvariantCulture);
}
