namespace Tracking.Consumer.Leases;

/// <summary>How workers share the shards, bound from <c>Consumer:Leases</c>.</summary>
public sealed class LeaseOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Consumer:Leases";

    /// <summary>How long a lease lasts without renewal; it is renewed every third of it, so a worker that stops
    /// renewing loses its shards to the others after at most this long. Default 10 s; 1 s to 10 minutes.</summary>
    public TimeSpan Duration { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often the shard list is read again to find shards created since. Default 30 s; at least 1 s.
    /// A shard end triggers a re-list at once.</summary>
    public TimeSpan ShardListInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The time between renewals: a third of <see cref="Duration"/>, as the KCL does.</summary>
    internal TimeSpan RenewInterval => Duration / 3;

    internal IEnumerable<string> Validate()
    {
        if (Duration < TimeSpan.FromSeconds(1) || Duration > TimeSpan.FromMinutes(10))
        {
            yield return $"{Section}:Duration must be between 00:00:01 and 00:10:00 (got {Duration}).";
        }

        if (ShardListInterval < TimeSpan.FromSeconds(1))
        {
            yield return $"{Section}:ShardListInterval must be at least 00:00:01 (got {ShardListInterval}); ListShards allows 100 calls per second per account.";
        }
    }
}

/// <summary>Who this process is among the workers, bound from <c>Consumer</c>.</summary>
public sealed class WorkerOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Consumer";

    /// <summary>This worker's name in the lease table, unique among the workers of a stream.
    /// Default: host name and process id, e.g. <c>web-1:4242</c>.</summary>
    public string WorkerId { get; set; } = $"{Environment.MachineName}:{Environment.ProcessId}";

    internal IEnumerable<string> Validate()
    {
        if (string.IsNullOrWhiteSpace(WorkerId) || WorkerId.Length > 256)
        {
            yield return $"{Section}:WorkerId must be 1 to 256 characters (got '{WorkerId}').";
        }
    }
}
