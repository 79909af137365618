using System.Globalization;
using System.Numerics;
using System.Text.RegularExpressions;
using Tracking.Aws.Kinesis;
using Tracking.Consumer.Tests.Support;
using Tracking.Testing.Emulators;
using Tracking.Testing.Postgres;

namespace Tracking.Consumer.Tests.Integration;

/// <summary>A stream deleted and created again under its name, as staging does: the new stream is read afresh.</summary>
[Collection(Infrastructure.Name)]
public sealed partial class RecreatedStreamTests(PostgresServer postgres, KinesaliteFixture kinesalite)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task AStreamDeletedAndCreatedAgainAfterASplitIsLoadedFromItsStartAndTheOldLeasesAreSetAside()
    {
        using var stream = await TestStreamOnKinesalite.CreateAsync(kinesalite.ServiceUrl, shards: 1);
        var warehouse = new WarehouseDb(await postgres.CreateDatabaseAsync("recreated"));
        var before = TestEvent.Many(10, 2, "before").ToList();
        var afterSplit = TestEvent.Many(10, 2, "split").ToList();
        var recreated = TestEvent.Many(10, 3, "recreated").ToList();
        await stream.PutEventsAsync(before);
        var parent = (await stream.OpenShardsAsync()).Single();
        await stream.Client.SplitShardAsync(new SplitShardRequest { StreamName = stream.Name, ShardToSplit = parent.ShardId, NewStartingHashKey = Middle(parent.HashKeyRange) });
        await stream.Client.WaitForStreamActiveAsync(stream.Name, Patience);
        await stream.PutEventsAsync(afterSplit);

        var settings = ConsumerProcess.Settings(kinesalite.ServiceUrl, stream.Name, warehouse.ConnectionString, "worker-a");
        settings["Consumer:Leases:ShardListInterval"] = "00:00:01";
        await using var consumer = ConsumerProcess.Start(settings);
        await warehouse.WaitForCheckpointsAsync(stream.LastSequenceNumbers, Patience, consumer);
        Assert.Equal(1, await warehouse.ScalarAsync<long>("SELECT count(*) FROM shard_leases WHERE finished"));

        // The new stream's only shard has the old parent's id, which the old leases hold as finished; the old
        // children's ids are gone.
        await stream.RecreateAsync(shards: 1);
        await stream.PutEventsAsync(recreated);

        await warehouse.WaitForCheckpointsAsync(stream.LastSequenceNumbers, Patience, consumer);
        var expected = before.Concat(afterSplit).Concat(recreated).Select(e => e.MessageId).ToHashSet();
        Assert.Equal(expected, await warehouse.MessageIdsAsync());
        Assert.Single(consumer.Lines, l => RecreatedLine().IsMatch(l));
        Assert.Equal(3, await warehouse.ScalarAsync<long>($"SELECT count(*) FROM shard_leases WHERE stream LIKE '{stream.Name}@%'"));
        Assert.Equal(1, await warehouse.ScalarAsync<long>($"SELECT count(*) FROM shard_leases WHERE stream = '{stream.Name}'"));
        Assert.Equal("TRIM_HORIZON", await warehouse.ScalarAsync<string>($"SELECT start_position FROM shard_leases WHERE stream = '{stream.Name}'"));
    }

    private static string Middle(HashKeyRange range) =>
        ((BigInteger.Parse(range.StartingHashKey, CultureInfo.InvariantCulture) + BigInteger.Parse(range.EndingHashKey, CultureInfo.InvariantCulture)) / 2)
        .ToString(CultureInfo.InvariantCulture);

    [GeneratedRegex("was deleted and created again")]
    private static partial Regex RecreatedLine();
}
