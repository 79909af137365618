using System.Text.Json.Serialization;

namespace Tracking.Consumer.Redrive;

/// <summary>What a re-drive did: the dead letters it read, how many now load (and were removed from
/// <c>dead_letters</c>), the events that added, those the warehouse already held, and why the rest still fail.</summary>
internal sealed class RedriveResult
{
    /// <summary>The most distinct reasons <see cref="StillFailingReasons"/> lists.</summary>
    public const int MaxReasons = 20;

    [JsonPropertyName("dryRun")]
    public bool DryRun { get; init; }

    [JsonPropertyName("examined")]
    public long Examined { get; set; }

    /// <summary>Dead letters that load now: removed from <c>dead_letters</c> in the transaction that loaded them.</summary>
    [JsonPropertyName("loaded")]
    public long Loaded { get; set; }

    /// <summary>Rows those dead letters added to <c>events</c> (an aggregated record holds several).</summary>
    [JsonPropertyName("eventsInserted")]
    public long EventsInserted { get; set; }

    /// <summary>Rows whose <c>message_id</c> the warehouse already held: nothing added, as for any duplicate.</summary>
    [JsonPropertyName("duplicates")]
    public long Duplicates { get; set; }

    /// <summary>Dead letters that still do not load; they stay as they were.</summary>
    [JsonPropertyName("stillFailing")]
    public long StillFailing { get; set; }

    /// <summary>Why they still fail today, with how many for each reason (at most <see cref="MaxReasons"/>).</summary>
    [JsonPropertyName("stillFailingReasons")]
    public Dictionary<string, long> StillFailingReasons { get; } = new(StringComparer.Ordinal);

    public void StillFails(string reason)
    {
        StillFailing++;
        if (StillFailingReasons.TryGetValue(reason, out var count))
        {
            StillFailingReasons[reason] = count + 1;
        }
        else if (StillFailingReasons.Count < MaxReasons)
        {
            StillFailingReasons[reason] = 1;
        }
    }
}
