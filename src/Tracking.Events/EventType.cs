namespace Tracking.Events;

/// <summary>The six Segment message types the pipeline accepts.</summary>
public enum EventType
{
    Track,
    Identify,
    Page,
    Screen,
    Group,
    Alias,
}

/// <summary>Converts <see cref="EventType"/> to and from its wire name (<c>"track"</c>, <c>"identify"</c>, ...).</summary>
public static class EventTypeNames
{
    /// <summary>The wire name of <paramref name="type"/>, as it appears in the <c>type</c> field.</summary>
    public static string ToWireName(this EventType type) => type switch
    {
        EventType.Track => "track",
        EventType.Identify => "identify",
        EventType.Page => "page",
        EventType.Screen => "screen",
        EventType.Group => "group",
        EventType.Alias => "alias",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Not a Segment message type."),
    };

    /// <summary>Parses a wire name; the comparison ignores case because some SDKs send <c>"Track"</c>.</summary>
    public static bool TryParse(string? name, out EventType type)
    {
        switch (name?.ToUpperInvariant())
        {
            case "TRACK": type = EventType.Track; return true;
            case "IDENTIFY": type = EventType.Identify; return true;
            case "PAGE": type = EventType.Page; return true;
            case "SCREEN": type = EventType.Screen; return true;
            case "GROUP": type = EventType.Group; return true;
            case "ALIAS": type = EventType.Alias; return true;
            default: type = default; return false;
        }
    }
}
