namespace Tracking.Api.Delivery;

/// <summary>Running totals since start-up of a durable queue's work on disk.</summary>
/// <param name="CorruptBytes">Bytes of torn or corrupt frames cut off (at start-up or while reading).</param>
/// <param name="Syncs">Times written events were synced to disk (fsync).</param>
/// <param name="SyncedRequests">Requests those syncs made durable; over <paramref name="Syncs"/>, how well group commit groups.</param>
internal readonly record struct QueueCounters(long CorruptBytes, long Syncs, long SyncedRequests);
