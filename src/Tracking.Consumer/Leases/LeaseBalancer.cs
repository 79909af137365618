namespace Tracking.Consumer.Leases;

/// <summary>
/// Decides which leases a worker tries to take: a fair share of the readable shards per live worker. Free and
/// expired leases are taken up to the share at once; when none is free, one lease at a time is taken from the
/// busiest worker while it holds more than the share, so the workers converge without all moving together.
/// </summary>
internal static class LeaseBalancer
{
    /// <summary>Shards that may be read now: not finished, and every parent in the table finished.</summary>
    public static IReadOnlyList<Lease> Readable(IReadOnlyList<Lease> leases)
    {
        var finished = leases.Where(l => l.Finished).Select(l => l.ShardId).ToHashSet(StringComparer.Ordinal);
        var known = leases.Select(l => l.ShardId).ToHashSet(StringComparer.Ordinal);

        // A parent missing from the table is past the stream's retention, so nothing of it can still be read.
        return leases.Where(l => !l.Finished && l.ParentShardIds.All(p => finished.Contains(p) || !known.Contains(p))).ToList();
    }

    /// <summary>The leases <paramref name="worker"/> should try to take now, given the table as read at
    /// <paramref name="now"/> and the shards it is actually reading. A lease under its own name that it is not
    /// reading (given up by this process, its release not yet written) counts as free: taking it moves the counter.
    /// Owner names are unique per process (<see cref="WorkerOptions.LeaseOwner"/>), so an earlier process's lease is
    /// never mistaken for this one's.</summary>
    public static IReadOnlyList<Lease> ChooseLeasesToTake(IReadOnlyList<Lease> leases, string worker, DateTimeOffset now, IReadOnlySet<string> reading)
    {
        var readable = Readable(leases);
        if (readable.Count == 0)
        {
            return [];
        }

        bool Mine(Lease lease) => reading.Contains(lease.ShardId);
        bool Free(Lease lease) => !Mine(lease) && (!lease.IsHeld(now) || lease.Owner == worker);
        var others = readable.Where(l => !Mine(l) && !Free(l)).ToList();
        var workers = others.Select(l => l.Owner!).Append(worker).Distinct(StringComparer.Ordinal).Count();
        var share = (readable.Count + workers - 1) / workers;
        var mine = readable.Count(Mine);
        if (mine >= share)
        {
            return [];
        }

        var free = readable.Where(Free).Take(share - mine).ToList();
        if (free.Count > 0)
        {
            return free;
        }

        var busiest = others
            .GroupBy(l => l.Owner!, StringComparer.Ordinal)
            .OrderByDescending(g => g.Count())
            .ThenBy(g => g.Key, StringComparer.Ordinal)
            .FirstOrDefault();
        return busiest is not null && busiest.Count() > share ? [busiest.OrderBy(l => l.ShardId, StringComparer.Ordinal).Last()] : [];
    }
}
