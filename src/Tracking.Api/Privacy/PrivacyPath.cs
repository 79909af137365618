using Tracking.Events;

namespace Tracking.Api.Privacy;

/// <summary>A rule's path split into member names, and what makes a path unusable.</summary>
internal static class PrivacyPath
{
    /// <summary>Matches any one member name.</summary>
    public const string Wildcard = "*";

    /// <summary>
    /// Top-level members a rule may not touch: the message's identity, type, times and source, which the
    /// warehouse keys, deduplicates, partitions and suppresses on.
    /// </summary>
    public static readonly IReadOnlySet<string> Protected = new HashSet<string>(StringComparer.Ordinal)
    {
        EventFields.Type, EventFields.MessageId, EventFields.UserId, EventFields.AnonymousId, EventFields.Event,
        EventFields.Name, EventFields.Category, EventFields.GroupId, EventFields.PreviousId, EventFields.Timestamp,
        EventFields.OriginalTimestamp, EventFields.SentAt, EventFields.ReceivedAt, EventFields.Source, EventFields.TraceParent,
    };

    /// <summary>The member names of <paramref name="path"/>, or why it cannot be used.</summary>
    public static (string[]? Segments, string? Problem) Parse(string? path)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            return (null, "is empty: name a member, such as properties.email");
        }

        var segments = path.Split('.');
        if (Array.Exists(segments, s => s.Length == 0))
        {
            return (null, $"is '{path}': it has an empty member name (two dots, or a dot at an end)");
        }

        if (Array.Exists(segments, s => s.Any(char.IsWhiteSpace)))
        {
            return (null, $"is '{path}': member names in a path have no spaces");
        }

        if (Array.Exists(segments, s => s.Contains('*', StringComparison.Ordinal) && s != Wildcard))
        {
            return (null, $"is '{path}': '*' stands alone for a whole member name (context.traits.*), not part of one");
        }

        if (segments[0] == Wildcard || Protected.Contains(segments[0]))
        {
            return (null, $"is '{path}': a rule may not touch the top-level '{segments[0]}' (type, ids, times and source stay as they are); use a path under properties, traits, context or another member");
        }

        return (segments, null);
    }
}
