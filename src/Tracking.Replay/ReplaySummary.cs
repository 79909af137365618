namespace Tracking.Replay;

/// <summary>What a replay did, counted as it goes; printed as progress and at the end.</summary>
internal sealed class ReplaySummary
{
    public int Files { get; set; }

    public long Lines { get; set; }

    /// <summary>Lines that are not an event the API wrote (not JSON, no messageId or receivedAt), by reason.</summary>
    public Dictionary<string, long> Unreadable { get; } = new(StringComparer.Ordinal);

    /// <summary>Events received outside the range, read because they were in a folder that may hold the range.</summary>
    public long OutOfRange { get; set; }

    public long InRange { get; set; }

    public long Put { get; set; }

    /// <summary>Records a put answered with a per-record error, then put on a later attempt.</summary>
    public long Retried { get; set; }

    public long Failed { get; set; }

    /// <summary>Why the replay stopped before the end, when it did.</summary>
    public string? StoppedBecause { get; set; }

    public string Describe(ReplayOptions options, TimeSpan elapsed)
    {
        var unreadable = Unreadable.Count == 0 ? "0" : $"{Unreadable.Values.Sum()} ({string.Join(", ", Unreadable.OrderBy(u => u.Key, StringComparer.Ordinal).Select(u => $"{u.Value} {u.Key}"))})";
        var verb = options.DryRun ? "would put (dry run)" : "put";
        var lines = new List<string>
        {
            $"Replay of events received from {options.From:O} to {options.To:O}, from {options.ArchiveName} into stream {options.Stream}:",
            $"  files read {Files}, lines {Lines}, unreadable {unreadable}, outside the range {OutOfRange}",
            $"  in range {InRange}: {verb} {Put}, failed {Failed}{(Retried > 0 ? $" (retried and put: {Retried})" : string.Empty)}",
            $"  in {elapsed.TotalSeconds:0.0} s ({(elapsed.TotalSeconds > 0 ? Put / elapsed.TotalSeconds : 0):0} records/s; limit {options.RecordsPerSecond})",
        };
        if (StoppedBecause is not null)
        {
            lines.Add($"  stopped early: {StoppedBecause}");
        }

        return string.Join(Environment.NewLine, lines);
    }
}
