using Tracking.Consumer.Leases;
using Tracking.Consumer.Loading;

namespace Tracking.Consumer.Tests.Support;

/// <summary>What every lease store does when the stream of a name is replaced by a newer one (<see cref="ILeaseStore.AdoptStreamAsync"/>).</summary>
internal static class StreamIdentityContract
{
    private const string ShardId = "shardId-000000000000";

    public static readonly StreamIdentity Old = new(new DateTimeOffset(2026, 12, 1, 9, 30, 15, 123, TimeSpan.Zero), "arn:aws:kinesis:us-east-1:000000000000:stream/s");
    public static readonly StreamIdentity New = new(new DateTimeOffset(2026, 12, 1, 10, 0, 0, 7, TimeSpan.Zero), "arn:aws:kinesis:us-east-1:000000000000:stream/s");

    /// <summary>Meets <see cref="Old"/>, holds a shard of it (then runs <paramref name="whileHeld"/>), and has four
    /// workers notice <see cref="New"/> at once.</summary>
    /// <returns>The fence the old stream's holder had.</returns>
    public static async Task<ShardFence> VerifyAsync(ILeaseStore store, string stream, Func<ShardFence, Task>? whileHeld = null)
    {
        var expires = DateTimeOffset.UtcNow.AddMinutes(5);
        Assert.Null(await store.AdoptStreamAsync(stream, Old, CancellationToken.None));
        Assert.Null(await store.AdoptStreamAsync(stream, Old, CancellationToken.None));
        await store.AddShardsAsync(stream, [new NewShard(ShardId, [], "AT_TIMESTAMP", Old.CreatedAt)], CancellationToken.None);
        var fence = await store.TryTakeAsync(stream, ShardId, 0, "worker-a:1", expires, CancellationToken.None);
        Assert.NotNull(fence);
        if (whileHeld is not null)
        {
            await whileHeld(fence.Value);
        }

        var noticed = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => store.AdoptStreamAsync(stream, New, CancellationToken.None)));

        Assert.Equal(Old.CreatedAt, Assert.Single(noticed, n => n is not null)!.CreatedAt);
        Assert.Empty(await store.ListAsync(stream, CancellationToken.None));
        Assert.False(await store.RenewAsync(fence.Value, expires, CancellationToken.None));
        var aside = Assert.Single(await store.ListAsync(Old.AsideName(stream), CancellationToken.None));
        Assert.Equal((ShardId, "worker-a:1", 1L), (aside.ShardId, aside.Owner, aside.Counter));
        Assert.Null(await store.AdoptStreamAsync(stream, New, CancellationToken.None));

        // The new stream's shard of the same id starts afresh.
        await store.AddShardsAsync(stream, [new NewShard(ShardId, [], "TRIM_HORIZON")], CancellationToken.None);
        var fresh = Assert.Single(await store.ListAsync(stream, CancellationToken.None));
        Assert.Equal(("TRIM_HORIZON", 0L, (string?)null, false), (fresh.StartPosition, fresh.Counter, fresh.Checkpoint, fresh.Finished));
        Assert.NotNull(await store.TryTakeAsync(stream, ShardId, 0, "worker-b:1", expires, CancellationToken.None));
        return fence.Value;
    }
}
