using System.Text.Json;
using System.Text.Json.Serialization;
using Tracking.Events;

namespace Tracking.Api.TrackingPlans;

/// <summary>
/// Which quarantined events an admin request means: all when every filter is empty, else those matching every filter
/// given. A member it does not know is refused, so a misspelt filter cannot widen a discard to every event.
/// </summary>
/// <param name="MessageIds">Only these messageIds.</param>
/// <param name="Source">Only this source's.</param>
/// <param name="Event">Only events of this name (a track's <c>event</c>, a page's or screen's <c>name</c>).</param>
/// <param name="All">Must be true for a discard with no filter: deleting every event is never an accident.</param>
/// <param name="Bot">True: only events flagged as a known bot's (<c>context.bot</c>, as a source with <c>Bots=Quarantine</c>
/// routes them here); false: only the others (those a plan blocked); null: either.</param>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed record QuarantineSelection(IReadOnlyList<string>? MessageIds = null, string? Source = null, string? Event = null, bool All = false, bool? Bot = null)
{
    /// <summary>No filter: every event.</summary>
    public bool Unfiltered => MessageIds is not { Count: > 0 } && string.IsNullOrEmpty(Source) && string.IsNullOrEmpty(Event) && Bot is null;

    public bool Picks(JsonElement e)
    {
        if (MessageIds is { Count: > 0 } ids && !ids.Contains(Text(e, EventFields.MessageId) ?? "", StringComparer.Ordinal))
        {
            return false;
        }

        if (Source is { Length: > 0 } && Text(e, EventFields.Source) != Source)
        {
            return false;
        }

        if (Bot is { } bot && IsBot(e) != bot)
        {
            return false;
        }

        return Event is not { Length: > 0 } || (Text(e, EventFields.Event) ?? Text(e, EventFields.Name)) == Event;
    }

    private static bool IsBot(JsonElement e) =>
        e.TryGetProperty(EventFields.Context, out var context) && context.ValueKind == JsonValueKind.Object
        && context.TryGetProperty(Enrichment.ContextName.Bot.Utf8.Span, out var bot) && bot.ValueKind == JsonValueKind.Object;

    private static string? Text(JsonElement e, string name) =>
        e.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}

/// <summary>What a re-admit or discard did.</summary>
/// <param name="Taken">Events re-admitted into the main queue (or discarded).</param>
/// <param name="Remaining">Events left in the quarantine.</param>
/// <param name="Complete">False when the main queue filled before every picked event was re-admitted: retry later for the rest.</param>
internal sealed record QuarantineOutcome(int Taken, int Remaining, bool Complete);

/// <summary>A page of quarantined events.</summary>
/// <param name="Total">Events in the quarantine.</param>
/// <param name="Matching">Events the selection picks.</param>
/// <param name="Bytes">Bytes of <c>quarantine.ndjson</c>.</param>
/// <param name="Folder">Where it lives on this API instance's disk.</param>
/// <param name="Events">The first picked events, oldest first, each the enriched event with its <c>violations</c>.</param>
internal sealed record QuarantineListing(int Total, int Matching, long Bytes, string Folder, IReadOnlyList<JsonElement> Events);
