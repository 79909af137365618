using System.Text.Json;
using Tracking.Events;

namespace Tracking.Api.Enrichment;

/// <summary>
/// A batch's shared <c>context</c>, read once per request rather than once per message: its members
/// in order and the bytes each name takes, so every message's merged context is written from this
/// list and its size known before anything is written.
/// </summary>
internal sealed class SharedContext
{
    private readonly Dictionary<string, int> _bytesByName = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _indexByName = new(StringComparer.Ordinal);

    private SharedContext()
    {
    }

    /// <summary>A member (one per name): its name, its value's JSON, and whether it is one the server would otherwise set.</summary>
    public readonly record struct Member(string Name, ReadOnlyMemory<byte> Value, bool IsIp, bool IsUserAgent);

    public List<Member> Members { get; } = [];

    /// <summary>The members' bytes as they are written into an event: name, quotes, colon, value and comma.</summary>
    public int TotalBytes { get; private set; }

    /// <summary>Reads the batch's <c>context</c> object; null when the batch has none.</summary>
    public static SharedContext? Read(ReadOnlyMemory<byte> context)
    {
        if (context.IsEmpty)
        {
            return null;
        }

        var shared = new SharedContext();
        var reader = new Utf8JsonReader(context.Span);
        reader.Read();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isIp = reader.ValueTextEquals(EventFields.ContextIp);
            var isUserAgent = reader.ValueTextEquals(EventFields.ContextUserAgent);
            var name = reader.GetString()!;
            var nameBytes = reader.ValueSpan.Length;
            reader.Read();
            var start = (int)reader.TokenStartIndex;
            reader.Skip();
            var value = context[start..(int)reader.BytesConsumed];
            var bytes = nameBytes + value.Length + 4;
            var member = new Member(name, value, isIp, isUserAgent);
            if (shared._indexByName.TryGetValue(name, out var index))
            {
                // A repeated name: the last value wins, as JSON parsers read it; the member list stays one per name.
                shared.TotalBytes -= shared._bytesByName[name];
                shared.Members[index] = member;
            }
            else
            {
                shared._indexByName[name] = shared.Members.Count;
                shared.Members.Add(member);
            }

            shared._bytesByName[name] = bytes;
            shared.TotalBytes += bytes;
        }

        return shared;
    }

    /// <summary>
    /// The bytes of shared members a message's own <paramref name="ownContext"/> does not override:
    /// they are copied into its event whatever else it holds, so this is a floor under the event's size.
    /// </summary>
    public int BytesKeptFor(ReadOnlyMemory<byte> ownContext)
    {
        var kept = TotalBytes;
        if (ownContext.IsEmpty)
        {
            return kept;
        }

        var reader = new Utf8JsonReader(ownContext.Span);
        reader.Read();
        HashSet<string>? seen = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.GetString()!;
            if (_bytesByName.TryGetValue(name, out var bytes) && (seen ??= new(StringComparer.Ordinal)).Add(name))
            {
                kept -= bytes;
            }

            reader.Read();
            reader.Skip();
        }

        return kept;
    }

    /// <summary>True when the batch's context names <paramref name="name"/>.</summary>
    public bool Contains(string name) => _bytesByName.ContainsKey(name);
}
