namespace Tracking.Aws.Kinesis.Aggregation;

/// <summary>
/// One user record of an aggregated Kinesis record: the partition key (and explicit hash key) it was written with,
/// its data, and its tags. <see cref="Data"/> is a slice of the aggregated record's data, not a copy.
/// </summary>
/// <param name="PartitionKey">The user record's partition key, looked up in the aggregate's partition key table.</param>
/// <param name="ExplicitHashKey">The explicit hash key, when the record has one.</param>
/// <param name="Data">The user record's data blob.</param>
/// <param name="Tags">The KPL's tags, in order (rarely used; kept so nothing of the record is lost).</param>
public sealed record UserRecord(
    string PartitionKey,
    string? ExplicitHashKey,
    ReadOnlyMemory<byte> Data,
    IReadOnlyList<KeyValuePair<string, string?>> Tags);
