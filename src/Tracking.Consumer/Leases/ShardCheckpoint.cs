namespace Tracking.Consumer.Leases;

/// <summary>How far a shard is loaded: where its reading resumes.</summary>
/// <param name="SequenceNumber">The sequence number of the last record loaded, or <see langword="null"/> when none is yet.</param>
/// <param name="Finished">The shard is closed and read to its end.</param>
internal sealed record ShardCheckpoint(string? SequenceNumber, bool Finished);
