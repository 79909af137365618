using Tracking.Consumer.Leases;

namespace Tracking.Consumer.Tests.Unit;

public sealed class LeaseBalancerTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 30, 6, 0, 0, TimeSpan.Zero);

    [Fact]
    public void AloneAWorkerTakesEveryFreeShard()
    {
        var leases = Shards(4).Select(s => Lease(s)).ToList();

        Assert.Equal(Shards(4), Take(leases, "a", []));
    }

    [Fact]
    public void ANewWorkerTakesOneLeaseAtATimeFromTheBusiestUntilBothHoldHalf()
    {
        var leases = Shards(4).Select(s => Lease(s, "a")).ToList();

        var first = Assert.Single(Take(leases, "b", []));
        leases = leases.Select(l => l.ShardId == first ? l with { Owner = "b", Counter = l.Counter + 1 } : l).ToList();
        var second = Assert.Single(Take(leases, "b", [first]));
        leases = leases.Select(l => l.ShardId == second ? l with { Owner = "b", Counter = l.Counter + 1 } : l).ToList();

        Assert.NotEqual(first, second);
        Assert.Empty(Take(leases, "b", [first, second]));
        Assert.Empty(Take(leases, "a", leases.Where(l => l.Owner == "a").Select(l => l.ShardId).ToHashSet()));
    }

    [Fact]
    public void ExpiredLeasesOfADeadWorkerAreAllTakenAtOnce()
    {
        var leases = Shards(4).Select((s, i) => i < 2 ? Lease(s, "a") : Lease(s, "dead", expired: true)).ToList();

        Assert.Equal(Shards(4)[2..], Take(leases, "a", Shards(4)[..2].ToHashSet()));
    }

    [Fact]
    public void WithThreeShardsAndTwoWorkersTheSplitTwoAndOneIsStable()
    {
        var leases = new[] { Lease("s0", "a"), Lease("s1", "a"), Lease("s2", "b") };

        Assert.Empty(Take(leases, "b", ["s2"]));
        Assert.Empty(Take(leases, "a", ["s0", "s1"]));
    }

    [Fact]
    public void AChildIsReadableOnlyOnceEveryParentIsFinished()
    {
        var leases = new[]
        {
            Lease("p1") with { Finished = true },
            Lease("p2"),
            Lease("merged") with { ParentShardIds = ["p1", "p2"] },
            Lease("orphan") with { ParentShardIds = ["trimmed-long-ago"] },
        };

        Assert.Equal(["p2", "orphan"], LeaseBalancer.Readable(leases).Select(l => l.ShardId));
        Assert.Equal(["merged", "orphan"], LeaseBalancer.Readable([.. leases.Select(l => l.ShardId == "p2" ? l with { Finished = true } : l)]).Select(l => l.ShardId));
    }

    [Fact]
    public void ALeaseUnderTheWorkersOwnNameThatItIsNotReadingIsTakenBack()
    {
        var leases = new[] { Lease("s0", "a"), Lease("s1", "a") };

        Assert.Equal(["s0", "s1"], Take(leases, "a", []));
    }

    private static string[] Shards(int count) => Enumerable.Range(0, count).Select(i => $"s{i}").ToArray();

    private static Lease Lease(string shardId, string? owner = null, bool expired = false) =>
        new(shardId, [], "TRIM_HORIZON", owner, owner is null ? 0 : 1, owner is null ? null : Now.AddSeconds(expired ? -1 : 5), null, false);

    private static string[] Take(IReadOnlyList<Lease> leases, string worker, IEnumerable<string> reading) =>
        LeaseBalancer.ChooseLeasesToTake(leases, worker, Now, reading.ToHashSet()).Select(l => l.ShardId).ToArray();
}
