using Microsoft.Extensions.Options;
using Tracking.Aws.Kinesis;
using Tracking.Consumer.Leases;

namespace Tracking.Consumer.Shards;

/// <summary>
/// Lists the stream's shards and adds the new ones to the lease table with their parents. The configured initial
/// position applies to the shards found when the consumer first meets the stream; every shard found later was
/// created by a reshard and starts at its beginning, so nothing written between a parent's end and its child's first
/// read is skipped. <see cref="InitialPosition.Latest"/> is fixed as the moment of that first meeting
/// (<c>AT_TIMESTAMP</c> of it, kept in the lease row), not the tip at whatever later moment the lease is taken: a
/// restart before the shard's first record then still reads what arrived in between.
/// </summary>
/// <remarks>
/// Before listing, it checks that the stream is the one the lease rows belong to (<see cref="StreamIdentity"/>, by
/// creation time). A stream deleted and created again under its name (common in staging) has shards that may reuse
/// the old ids and sequence numbers the old checkpoints do not fit: its old rows are set aside and every shard of the
/// new stream is read from its start, as a child of a reshard is, since all it holds arrived after the consumer met
/// the name.
/// </remarks>
internal sealed partial class ShardDiscovery(
    IKinesisClient kinesis,
    ILeaseStore leases,
    IOptions<StreamOptions> options,
    TimeProvider timeProvider,
    ILogger<ShardDiscovery> logger)
{
    public async Task SyncAsync(CancellationToken cancellationToken)
    {
        var stream = options.Value.StreamName!;
        var metAt = timeProvider.GetUtcNow();
        var summary = (await kinesis.DescribeStreamSummaryAsync(new DescribeStreamSummaryRequest { StreamName = stream }, cancellationToken)).StreamDescriptionSummary;
        var recreated = false;
        if (summary.StreamCreationTimestamp is { } createdAt)
        {
            var identity = new StreamIdentity(createdAt, summary.StreamArn);
            if (await leases.AdoptStreamAsync(stream, identity, cancellationToken) is { } replaced)
            {
                recreated = true;
                LogRecreated(stream, createdAt, replaced.CreatedAt, replaced.AsideName(stream));
            }
        }

        var known = await leases.ListAsync(stream, cancellationToken);
        var shards = await kinesis.ListAllShardsAsync(stream, cancellationToken: cancellationToken);
        var (start, startTimestamp) = known.Count > 0 || recreated
            ? (StartPositions.TrimHorizon, null)
            : options.Value.InitialPosition switch
            {
                // Met before listing, so no record that arrived after this moment is older than it.
                InitialPosition.Latest => (StartPositions.AtTimestamp, (DateTimeOffset?)metAt),
                InitialPosition.AtTimestamp => (StartPositions.AtTimestamp, options.Value.InitialTimestamp),
                _ => (StartPositions.TrimHorizon, null),
            };
        var ids = known.Select(l => l.ShardId).ToHashSet(StringComparer.Ordinal);
        var added = shards
            .Where(s => !ids.Contains(s.ShardId))
            .Select(s => new NewShard(s.ShardId, Parents(s), start, startTimestamp))
            .ToList();
        await leases.AddShardsAsync(stream, added, cancellationToken);
    }

    private static string[] Parents(Shard shard) =>
        new[] { shard.ParentShardId, shard.AdjacentParentShardId }.OfType<string>().ToArray();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stream {Stream} was deleted and created again (created {CreatedAt:O}, the leases were of the stream created {OldCreatedAt:O}): the old leases and checkpoints are set aside as {AsideName} and every shard of the new stream is read from its start")]
    private partial void LogRecreated(string stream, DateTimeOffset createdAt, DateTimeOffset oldCreatedAt, string asideName);
}
