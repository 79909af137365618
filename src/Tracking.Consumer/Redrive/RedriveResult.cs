using System.Text.Json.Serialization;
using Tracking.Consumer.Warehouse;

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

    /// <summary>Of the letters <see cref="Loaded"/>, those of a whole KPL aggregate (as an older consumer kept them)
    /// some of whose user records still fail: what loads of them loaded, and each user record that does not is now a
    /// dead letter of its own (<c>sequence:index</c>), as the shard loop writes them today.</summary>
    [JsonPropertyName("split")]
    public long Split { get; set; }

    /// <summary>The user records those split letters left in <c>dead_letters</c>, one letter each.</summary>
    [JsonPropertyName("userRecordsStillFailing")]
    public long UserRecordsStillFailing { get; set; }

    /// <summary>Dead letters that still do not load; they stay as they were.</summary>
    [JsonPropertyName("stillFailing")]
    public long StillFailing { get; set; }

    /// <summary>Why they (and the user records split off) still fail today, with how many for each reason (at most
    /// <see cref="MaxReasons"/>).</summary>
    [JsonPropertyName("stillFailingReasons")]
    public Dictionary<string, long> StillFailingReasons { get; } = new(StringComparer.Ordinal);

    /// <summary>Counts a letter left as it was, for <paramref name="reason"/>.</summary>
    public void StillFails(string reason)
    {
        StillFailing++;
        CountReason(reason);
    }

    /// <summary>Counts rows loaded: <paramref name="inserted"/> of <paramref name="rows"/> were new.</summary>
    public void Inserted(int rows, int inserted)
    {
        EventsInserted += inserted;
        Duplicates += rows - inserted;
    }

    /// <summary>Counts a letter that loaded, and the user records it was split into.</summary>
    public void Loads(IReadOnlyList<DeadLetter> parts)
    {
        Loaded++;
        if (parts.Count > 0)
        {
            Split++;
            UserRecordsStillFailing += parts.Count;
            foreach (var part in parts)
            {
                CountReason(part.Reason);
            }
        }
    }

    private void CountReason(string reason)
    {
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
