using Microsoft.Extensions.Options;
using Tracking.Aws.Kinesis;
using Tracking.Consumer.Leases;

namespace Tracking.Consumer.Shards;

/// <summary>
/// Lists the stream's shards and adds the new ones to the lease table with their parents. The configured initial
/// position applies to the shards found when the consumer first meets the stream; every shard found later was
/// created by a reshard and starts at its beginning, so nothing written between a parent's end and its child's first
/// read is skipped.
/// </summary>
internal sealed class ShardDiscovery(IKinesisClient kinesis, ILeaseStore leases, IOptions<StreamOptions> options)
{
    public async Task SyncAsync(CancellationToken cancellationToken)
    {
        var stream = options.Value.StreamName!;
        var known = await leases.ListAsync(stream, cancellationToken);
        var shards = await kinesis.ListAllShardsAsync(stream, cancellationToken: cancellationToken);
        var start = known.Count == 0 ? StartPositions.From(options.Value.InitialPosition) : StartPositions.TrimHorizon;
        var ids = known.Select(l => l.ShardId).ToHashSet(StringComparer.Ordinal);
        var added = shards
            .Where(s => !ids.Contains(s.ShardId))
            .Select(s => new NewShard(s.ShardId, Parents(s), start))
            .ToList();
        await leases.AddShardsAsync(stream, added, cancellationToken);
    }

    private static string[] Parents(Shard shard) =>
        new[] { shard.ParentShardId, shard.AdjacentParentShardId }.OfType<string>().ToArray();
}
