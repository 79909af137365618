using System.Globalization;
using System.Text.RegularExpressions;
using Tracking.Consumer.Tests.Support;
using Tracking.Testing;
using Tracking.Testing.Emulators;
using Tracking.Testing.Postgres;

namespace Tracking.Consumer.Tests.Integration;

/// <summary>Where a consumer without checkpoints starts: <c>Consumer:Kinesis:InitialPosition</c>.</summary>
[Collection(Infrastructure.Name)]
public sealed partial class InitialPositionTests(PostgresServer postgres, KinesaliteFixture kinesalite)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task TrimHorizonLoadsWhatTheStreamAlreadyHeldAndWhatFollows()
    {
        var (loaded, old, added) = await RunAsync("TrimHorizon", null);

        Assert.Equal([.. old, .. added], loaded);
    }

    [Fact]
    public async Task LatestLoadsOnlyWhatIsWrittenAfterTheConsumerStarts()
    {
        var (loaded, _, added) = await RunAsync("Latest", null);

        Assert.Equal(added, loaded);
    }

    [Fact]
    public async Task LatestMeansWhenTheConsumerFirstMetTheShardSoWhatArrivesWhileItRestartsIsLoaded()
    {
        using var stream = await TestStreamOnKinesalite.CreateAsync(kinesalite.ServiceUrl, shards: 2);
        var warehouse = new WarehouseDb(await postgres.CreateDatabaseAsync("latestrestart"));
        var old = TestEvent.Many(10, 3, "old").ToList();
        var during = TestEvent.Many(10, 3, "during").ToList();
        var after = TestEvent.Many(10, 3, "after").ToList();
        await stream.PutEventsAsync(old);
        var settings = ConsumerProcess.Settings(kinesalite.ServiceUrl, stream.Name, warehouse.ConnectionString, "worker-a");
        settings["Consumer:Kinesis:InitialPosition"] = "Latest";
        await using (var first = ConsumerProcess.Start(settings))
        {
            await Eventually.TrueAsync(
                () => first.Lines.Count(l => ReadingLine().IsMatch(l)) == 2,
                "the consumer says where it starts reading each of the two shards",
                Patience,
                () => first.Output);

            // A deploy: the consumer stops before any record arrives after it met the shards, and records arrive
            // while it is away.
            await first.SignalAsync("TERM");
            await first.WaitForExitAsync(Patience);
        }

        await stream.PutEventsAsync(during);
        await using var second = ConsumerProcess.Start(settings);
        await Eventually.TrueAsync(
            () => second.Lines.Count(l => ReadingLine().IsMatch(l)) == 2,
            "the consumer says where it starts reading each of the two shards",
            Patience,
            () => second.Output);
        await stream.PutEventsAsync(after);
        await warehouse.WaitForCheckpointsAsync(stream.LastSequenceNumbers, Patience, second);

        Assert.Equal([.. during.Select(e => e.MessageId), .. after.Select(e => e.MessageId)], await warehouse.MessageIdsAsync());
    }

    [Fact]
    public async Task AtTimestampLoadsOnlyWhatArrivedFromThatTimeOn()
    {
        var (loaded, _, added) = await RunAsync("AtTimestamp", "between");

        Assert.Equal(added, loaded);
    }

    /// <summary>Writes old events, starts a consumer at <paramref name="position"/>, writes new ones, and returns what was loaded.</summary>
    private async Task<(HashSet<string> Loaded, HashSet<string> Old, HashSet<string> Added)> RunAsync(string position, string? timestamp)
    {
        using var stream = await TestStreamOnKinesalite.CreateAsync(kinesalite.ServiceUrl, shards: 2);
        var warehouse = new WarehouseDb(await postgres.CreateDatabaseAsync("position"));
        var old = TestEvent.Many(10, 3, "old").ToList();
        var added = TestEvent.Many(10, 3, "new").ToList();
        await stream.PutEventsAsync(old);
        var settings = ConsumerProcess.Settings(kinesalite.ServiceUrl, stream.Name, warehouse.ConnectionString, "worker-a");
        settings["Consumer:Kinesis:InitialPosition"] = position;
        ConsumerProcess consumer;
        if (timestamp is null)
        {
            consumer = ConsumerProcess.Start(settings);
            await Eventually.TrueAsync(
                () => consumer.Lines.Count(l => ReadingLine().IsMatch(l)) == 2,
                "the consumer says where it starts reading each of the two shards",
                Patience,
                () => consumer.Output);
            await stream.PutEventsAsync(added);
        }
        else
        {
            // Strictly after the old events arrived and before the new ones (arrival times have millisecond precision).
            var between = DateTimeOffset.UtcNow.AddMilliseconds(5);
            while (DateTimeOffset.UtcNow <= between.AddMilliseconds(5))
            {
                await Task.Yield();
            }

            settings["Consumer:Kinesis:InitialTimestamp"] = between.ToString("O", CultureInfo.InvariantCulture);

            // kinesalite never answers GetShardIterator AT_TIMESTAMP for a time after a shard's last record (the
            // service answers an iterator at the tip), so here the new events are in before the consumer starts.
            await stream.PutEventsAsync(added);
            consumer = ConsumerProcess.Start(settings);
        }

        await using (consumer)
        {
            await warehouse.WaitForCheckpointsAsync(stream.LastSequenceNumbers, Patience, consumer);
        }

        return (await warehouse.MessageIdsAsync(), old.Select(e => e.MessageId).ToHashSet(), added.Select(e => e.MessageId).ToHashSet());
    }

    [GeneratedRegex(@"Shard \S+: reading (TrimHorizon|Latest|AtTimestamp)")]
    private static partial Regex ReadingLine();
}
