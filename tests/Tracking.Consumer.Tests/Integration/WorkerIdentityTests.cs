using System.Text.RegularExpressions;
using Tracking.Consumer.Tests.Support;
using Tracking.Testing;
using Tracking.Testing.Emulators;
using Tracking.Testing.Postgres;

namespace Tracking.Consumer.Tests.Integration;

/// <summary>Replicas started from one deployment, all with the same <c>Consumer:WorkerId</c>.</summary>
[Collection(Infrastructure.Name)]
public sealed partial class WorkerIdentityTests(PostgresServer postgres, KinesaliteFixture kinesalite)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task TwoProcessesWithTheSameWorkerIdShareTheShardsAndLoadEveryRowOnce()
    {
        using var stream = await TestStreamOnKinesalite.CreateAsync(kinesalite.ServiceUrl, shards: 4);
        var warehouse = new WarehouseDb(await postgres.CreateDatabaseAsync("sameid"));
        var events = TestEvent.Many(users: 60, perUser: 10).ToList();
        var settings = ConsumerProcess.Settings(kinesalite.ServiceUrl, stream.Name, warehouse.ConnectionString, "replica");
        await using var a = ConsumerProcess.Start(settings);
        await using var b = ConsumerProcess.Start(settings);
        await a.WaitForOutputAsync(Reading(), Patience);
        await b.WaitForOutputAsync(Reading(), Patience);

        // Written while both run, as a deployment's replicas see traffic.
        await stream.PutEventsAsync(events);

        await warehouse.WaitForCheckpointsAsync(stream.LastSequenceNumbers, Patience, a);

        Assert.Equal(events.Select(e => e.MessageId).ToHashSet(), await warehouse.MessageIdsAsync());
        Assert.Equal(events.Count, await warehouse.EventCountAsync());
        Assert.All((await warehouse.OwnersAsync()).Values, o => Assert.Equal("replica", o));
        var owners = string.Empty;
        await Eventually.TrueAsync(
            async () =>
            {
                var leaseOwners = await warehouse.LeaseOwnersAsync();
                owners = string.Join(", ", leaseOwners);
                return leaseOwners.Values.Distinct().Count() == 2;
            },
            "the two consumers hold leases under two owner names",
            Patience,
            () => $"lease owners {owners}{Environment.NewLine}A:{Environment.NewLine}{a.Output}{Environment.NewLine}B:{Environment.NewLine}{b.Output}");
    }

    [GeneratedRegex(@"Worker replica reading stream")]
    private static partial Regex Reading();
}
