using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Tracking.Api.Admin;
using Tracking.Api.Ingestion;
using Tracking.Events;

namespace Tracking.Api.TrackingPlans;

/// <summary>
/// Notes the names, property paths and JSON types of each source's accepted events, after the privacy rules ran
/// (so a dropped member is never seen), to draft a tracking plan from (<see cref="PlanDraft"/>). No value is kept.
/// On the hot path an event costs a dictionary lookup, a clock read and two interlocked counters; only the at most
/// <see cref="PlanDraftOptions.MaxEventsPerSecond"/> sampled per second and source are read, with a forward-only
/// reader over the event's bytes (the ingestion path holds the properties as raw slices as sent, from before the
/// privacy rules: there is no parsed form of the stored event to reuse).
/// </summary>
internal sealed class PlanObserver
{
    /// <summary>The draft's section for a call type; null for a type a plan does not describe (alias).</summary>
    private static string? Section(EventType? type) => type switch
    {
        EventType.Track => "track",
        EventType.Page => "page",
        EventType.Screen => "screen",
        EventType.Identify => "identify",
        EventType.Group => "group",
        _ => null,
    };

    /// <summary>The longest event or property name kept, in UTF-16 characters; longer ones are counted as left out.</summary>
    public const int MaxNameLength = 256;

    private readonly ConcurrentDictionary<string, SourceObservation> _sources = new(StringComparer.Ordinal);
    private readonly PlanDraftOptions _options;
    private readonly TimeProvider _time;

    public PlanObserver(IOptions<PlanDraftOptions> options, IOptions<AdminOptions> admin, TimeProvider time)
    {
        _options = options.Value;
        _time = time;
        Enabled = _options.Enabled && admin.Value.Enabled;
    }

    /// <summary>Observing at all: <c>Tracking:PlanDraft:Enabled</c> and an admin key to read the draft with.</summary>
    public bool Enabled { get; }

    public PlanDraftOptions Options => _options;

    /// <summary>What was observed of <paramref name="source"/>; null when none of its events was.</summary>
    public SourceObservation? Of(string source) => _sources.GetValueOrDefault(source);

    /// <summary>Observes one accepted event: <paramref name="json"/> is the enriched event as stored, privacy rules applied.
    /// The same as <see cref="TrySample"/> and, when it samples the event, <see cref="RecordSampled"/>.</summary>
    /// <param name="message">The message the event was made of.</param>
    /// <param name="source">Its source.</param>
    /// <param name="json">The event as stored.</param>
    /// <param name="rewriting">The paths the source's privacy rules hash or mask (<see cref="Privacy.SourceRules.RewritingPaths"/>), if any.</param>
    public void Observe(IncomingMessage message, string source, ReadOnlySpan<byte> json, IReadOnlyList<string[]>? rewriting = null)
    {
        if (TrySample(message, source))
        {
            RecordSampled(message, source, json, rewriting);
        }
    }

    /// <summary>
    /// Whether this event of <paramref name="source"/> is one of the at most <see cref="PlanDraftOptions.MaxEventsPerSecond"/>
    /// read this second: the cheap half of <see cref="Observe"/>, decided while a request is screened. The ingestion
    /// handler <see cref="RecordSampled"/>s a sampled event only once its request is answered 200, so a request refused whole (a
    /// full queue's 503, which the SDK sends again) is not drafted from twice.
    /// </summary>
    public bool TrySample(IncomingMessage message, string source)
    {
        if (!Enabled || Section(message.Type) is null)
        {
            return false;
        }

        var observation = _sources.GetOrAdd(source, static _ => new SourceObservation());
        return observation.TryTake(_time.GetTimestamp(), _time.TimestampFrequency, _options.MaxEventsPerSecond);
    }

    /// <summary>Records an event <see cref="TrySample"/> sampled: its name, property paths and JSON types.</summary>
    public void RecordSampled(IncomingMessage message, string source, ReadOnlySpan<byte> json, IReadOnlyList<string[]>? rewriting = null)
    {
        var section = Section(message.Type);
        if (section is null)
        {
            return;
        }

        var name = message.Type switch
        {
            EventType.Track => message.Event,
            EventType.Page or EventType.Screen => message.Name,
            _ => "",
        };
        var member = section is "identify" or "group" ? EventFields.Traits : EventFields.Properties;

        var observation = _sources.GetOrAdd(source, static _ => new SourceObservation());
        var now = _time.GetUtcNow();
        lock (observation.Gate)
        {
            observation.Observed++;
            observation.FirstSeen ??= now;
            observation.LastSeen = now;
            if (string.IsNullOrEmpty(name) && section is not ("identify" or "group"))
            {
                observation.Unnamed++;
                return;
            }

            var key = (section, name!);
            if (!observation.Names.TryGetValue(key, out var observed))
            {
                var cost = PlanDraftOptions.CostPerEntry + (2L * name!.Length);
                if (observation.Names.Count >= _options.MaxNamesPerSource || !Keepable(name) || observation.DraftCharacters + cost > _options.MaxDraftCharacters)
                {
                    observation.OmittedEvents++;
                    return;
                }

                observation.DraftCharacters += cost;
                observation.Names[key] = observed = new ObservedName(now);
            }

            observed.Events++;
            observed.LastSeen = now;
            try
            {
                Record(json, member!, observed, observation, rewriting is { Count: > 0 } ? new Rewrites(rewriting, member!) : null);
            }
            catch (Exception ex) when (ex is JsonException or InvalidOperationException)
            {
                // A name the reader cannot turn into a string (a lone surrogate escaped): what was read so far stays,
                // and a path never counted is only ever less required, never wrongly so.
                observed.OmittedProperties++;
            }
        }
    }

    private void Record(ReadOnlySpan<byte> json, string member, ObservedName observed, SourceObservation observation, Rewrites? rewrites)
    {
        var reader = new Utf8JsonReader(json);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var found = reader.ValueTextEquals(member);
            reader.Read();
            if (found && reader.TokenType == JsonTokenType.StartObject)
            {
                observed.Root.Count++;
                Walk(ref reader, observed.Root, new Budget(observed, observation, _options.MaxDraftCharacters), 0, 0, rewrites, rewrites?.Under(0) == true);
                return;
            }

            reader.Skip();
        }
    }

    /// <summary>Records the value the reader is on at <paramref name="shape"/>, and what it holds down to the depth kept.</summary>
    private void Walk(ref Utf8JsonReader reader, ObservedShape shape, Budget budget, int depth, int pathLength, Rewrites? rewrites, bool rewritten)
    {
        var observed = budget.Name;
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
                shape.Types[ObservedShape.Object]++;
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    var (child, name) = depth < _options.MaxDepth ? Member(ref reader, shape, budget, pathLength) : default;
                    reader.Read();
                    if (child is null)
                    {
                        observed.OmittedProperties++;
                        reader.Skip();
                        continue;
                    }

                    child.Count++;
                    rewrites?.Enter(depth + 1, name!);
                    Walk(ref reader, child, budget, depth + 1, pathLength + 1 + name!.Length, rewrites, rewritten || rewrites?.Under(depth + 1) == true);
                }

                break;
            case JsonTokenType.StartArray:
                shape.Types[ObservedShape.Array]++;
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    var items = shape.Items;
                    if (items is null && depth < _options.MaxDepth && observed.Paths < _options.MaxPropertiesPerName && budget.Take(pathLength + 8))
                    {
                        observed.Paths++;
                        shape.Items = items = new ObservedShape();
                    }

                    if (items is null)
                    {
                        observed.OmittedProperties++;
                        reader.Skip();
                        continue;
                    }

                    // Privacy paths look through arrays: an item is at its array's path.
                    items.Count++;
                    rewrites?.Enter(depth + 1, null);
                    Walk(ref reader, items, budget, depth + 1, pathLength + 8, rewrites, rewritten);
                }

                break;
            case JsonTokenType.String:
                shape.Types[rewritten ? ObservedShape.Rewritten : ObservedShape.String]++;
                break;
            case JsonTokenType.Number:
                // No fraction and no exponent: an integer to JSON Schema and to the plan's check (1.0 is too, but
                // calling it a number only makes the drafted type wider).
                shape.Types[reader.ValueSpan.IndexOfAny(".eE"u8) < 0 ? ObservedShape.Integer : ObservedShape.Number]++;
                break;
            case JsonTokenType.True or JsonTokenType.False:
                shape.Types[ObservedShape.Boolean]++;
                break;
            case JsonTokenType.Null:
                shape.Types[ObservedShape.Null]++;
                break;
        }
    }

    /// <summary>
    /// A name the draft can carry: at most <see cref="MaxNameLength"/> characters, none a control character or half a
    /// surrogate pair (no YAML or JSON key spells those as they were sent, and it keeps each YAML key far under the
    /// 1,024 characters YAML allows an implicit key).
    /// </summary>
    internal static bool Keepable(string name)
    {
        if (name.Length > MaxNameLength)
        {
            return false;
        }

        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (char.IsControl(c) || (char.IsSurrogate(c) && !(i + 1 < name.Length && char.IsSurrogatePair(c, name[++i]))))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The shape of the member the reader is on the name of, and the name; null when it is not kept.</summary>
    private (ObservedShape? Shape, string? Name) Member(ref Utf8JsonReader reader, ObservedShape shape, Budget budget, int pathLength)
    {
        var observed = budget.Name;
        // Escaped, a name of MaxNameLength characters is at most six bytes a character.
        if (reader.ValueSpan.Length > MaxNameLength * 6)
        {
            return default;
        }

        var name = reader.GetString()!;
        if (!Keepable(name))
        {
            return default;
        }

        shape.Members ??= new Dictionary<string, ObservedShape>(StringComparer.Ordinal);
        if (shape.Members.TryGetValue(name, out var child))
        {
            return (child, name);
        }

        // The draft spells a path twice: its member name in the schema, its full path in the counts.
        if (observed.Paths >= _options.MaxPropertiesPerName || !budget.Take(pathLength + 1 + (2 * name.Length)))
        {
            return default;
        }

        observed.Paths++;
        return (shape.Members[name] = new ObservedShape(), name);
    }

    /// <summary>The name being recorded, and its source's share of <see cref="PlanDraftOptions.MaxDraftCharacters"/>.</summary>
    private sealed class Budget(ObservedName name, SourceObservation source, int limit)
    {
        public ObservedName Name { get; } = name;

        /// <summary>Takes what a new path costs (its characters and <see cref="PlanDraftOptions.CostPerEntry"/>); false when it does not fit.</summary>
        public bool Take(int characters)
        {
            var cost = PlanDraftOptions.CostPerEntry + (long)characters;
            if (source.DraftCharacters + cost > limit)
            {
                return false;
            }

            source.DraftCharacters += cost;
            return true;
        }
    }

    /// <summary>
    /// Where the walk is, as the privacy rules' paths spell it (the event's member, then member names; an array's
    /// items add nothing), to tell whether a Hash or Mask rule rewrote what is stored there.
    /// </summary>
    private sealed class Rewrites(IReadOnlyList<string[]> paths, string member)
    {
        // Index 0 is the event's member (properties or traits); null marks an array's items, which add no segment.
        private readonly List<string?> _at = [member];

        public void Enter(int depth, string? name)
        {
            _at.RemoveRange(depth, _at.Count - depth);
            _at.Add(name);
        }

        /// <summary>Whether a rule's path ends exactly at the value at <paramref name="depth"/> (its ancestors were asked on the way down).</summary>
        public bool Under(int depth)
        {
            if (_at[depth] is null && depth > 0)
            {
                return false;
            }

            foreach (var path in paths)
            {
                var matches = true;
                var segment = path.Length - 1;
                for (var i = depth; i >= 0 && matches; i--)
                {
                    if (_at[i] is not { } name)
                    {
                        continue;
                    }

                    matches = segment >= 0 && (path[segment] == Privacy.PrivacyPath.Wildcard || path[segment] == name);
                    segment--;
                }

                if (matches && segment == -1)
                {
                    return true;
                }
            }

            return false;
        }
    }
}
