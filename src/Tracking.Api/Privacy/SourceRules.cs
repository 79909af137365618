using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Tracking.Api.Privacy;

/// <summary>
/// The privacy rules of one source, compiled into a tree of member names, and the rewrite that applies them to an
/// enriched event in one pass over its JSON. Every rule whose path matches a value or one of its ancestors applies,
/// in the order the rules are listed; a drop removes the member. Subtrees no rule reaches are copied as they are.
/// </summary>
internal sealed class SourceRules
{
    private static readonly JsonWriterOptions WriterOptions = new()
    {
        // As the enricher writes events: data, not HTML.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        SkipValidation = true,
    };

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    private readonly Node _root = new();
    private readonly Rule[] _rules;
    private readonly List<string[]> _rewriting = [];

    public SourceRules(IReadOnlyList<PrivacyRuleOptions> rules, byte[]? hashKey)
    {
        _rules = new Rule[rules.Count];
        for (var i = 0; i < rules.Count; i++)
        {
            var options = rules[i];
            var segments = PrivacyPath.Parse(options.Path).Segments
                ?? throw new ArgumentException($"Privacy rule {i} has an unusable path; the options validator should have refused it.", nameof(rules));
            _rules[i] = new Rule(options.Action!.Value, options.Keep, hashKey);
            if (options.Action is PrivacyAction.Hash or PrivacyAction.Mask)
            {
                _rewriting.Add(segments);
            }

            var node = _root;
            foreach (var segment in segments)
            {
                node = segment == PrivacyPath.Wildcard
                    ? node.Any ??= new Node()
                    : node.Children.TryGetValue(segment, out var child) ? child : node.Children[segment] = new Node();
            }

            node.Rules.Add(i);
        }
    }

    public int Count => _rules.Length;

    /// <summary>
    /// The paths (member names from the event's top, <see cref="PrivacyPath.Wildcard"/> for any one) of the rules that
    /// turn every string, number and boolean at or under them into a string: what is stored there says nothing of
    /// the type sent.
    /// </summary>
    public IReadOnlyList<string[]> RewritingPaths => _rewriting;

    /// <summary>The event <paramref name="json"/> (one JSON object) with the rules applied.</summary>
    public byte[] Apply(ReadOnlySpan<byte> json)
    {
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(4096);
        buffer.ResetWrittenCount();
        var writer = t_writer ??= new Utf8JsonWriter(buffer, WriterOptions);
        writer.Reset(buffer);

        var reader = new Utf8JsonReader(json);
        reader.Read();
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new ArgumentException("An event is a JSON object.", nameof(json));
        }

        WriteValue(ref reader, json, writer, [_root], []);
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    private void WriteValue(ref Utf8JsonReader reader, ReadOnlySpan<byte> json, Utf8JsonWriter writer, List<Node> active, List<int> applying)
    {
        if (active.Count == 0 && applying.Count == 0)
        {
            var start = (int)reader.TokenStartIndex;
            reader.Skip();
            writer.WriteRawValue(json[start..(int)reader.BytesConsumed], skipInputValidation: true);
            return;
        }

        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
                writer.WriteStartObject();
                WriteMembers(ref reader, json, writer, active, applying);
                writer.WriteEndObject();
                break;
            case JsonTokenType.StartArray:
                // Arrays are looked through: the paths that reach the array reach into each element.
                writer.WriteStartArray();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    WriteValue(ref reader, json, writer, active, applying);
                }

                writer.WriteEndArray();
                break;
            case JsonTokenType.Null:
                writer.WriteNullValue();
                break;
            default:
                WriteScalar(ref reader, json, writer, applying);
                break;
        }
    }

    private void WriteMembers(ref Utf8JsonReader reader, ReadOnlySpan<byte> json, Utf8JsonWriter writer, List<Node> active, List<int> applying)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.GetString()!;
            List<Node> next = [];
            List<int>? matched = null;
            foreach (var node in active)
            {
                if (node.Children.TryGetValue(name, out var child))
                {
                    next.Add(child);
                }

                if (node.Any is { } any)
                {
                    next.Add(any);
                }
            }

            foreach (var node in next)
            {
                if (node.Rules.Count > 0)
                {
                    matched ??= [.. applying];
                    matched.AddRange(node.Rules);
                }
            }

            reader.Read();
            var rules = applying;
            if (matched is not null)
            {
                if (matched.Exists(i => _rules[i].Action == PrivacyAction.Drop))
                {
                    reader.Skip();
                    continue;
                }

                matched.Sort();
                rules = matched;
            }

            writer.WritePropertyName(name);
            WriteValue(ref reader, json, writer, next, rules);
        }
    }

    private void WriteScalar(ref Utf8JsonReader reader, ReadOnlySpan<byte> json, Utf8JsonWriter writer, List<int> applying)
    {
        if (applying.Count == 0)
        {
            writer.WriteRawValue(json[(int)reader.TokenStartIndex..(int)reader.BytesConsumed], skipInputValidation: true);
            return;
        }

        var text = reader.TokenType switch
        {
            JsonTokenType.String => reader.GetString()!,
            JsonTokenType.True => "true",
            JsonTokenType.False => "false",
            _ => Encoding.UTF8.GetString(reader.ValueSpan),
        };

        foreach (var index in applying)
        {
            text = _rules[index].Transform(text);
        }

        writer.WriteStringValue(text);
    }

    private sealed class Node
    {
        public Dictionary<string, Node> Children { get; } = new(StringComparer.Ordinal);

        public Node? Any { get; set; }

        public List<int> Rules { get; } = [];
    }

    private sealed record Rule(PrivacyAction Action, int Keep, byte[]? HashKey)
    {
        public string Transform(string text) => Action switch
        {
            PrivacyAction.Hash => Hash(text),
            PrivacyAction.Mask => Mask(text),
            _ => text,
        };

        private string Hash(string text)
        {
            Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
            HMACSHA256.HashData(HashKey!, Encoding.UTF8.GetBytes(text), mac);
            return Convert.ToHexStringLower(mac);
        }

        private string Mask(string text)
        {
            var runes = text.EnumerateRunes().ToArray();
            var keep = runes.Length <= 2 * Keep ? 0 : Keep;
            var masked = new StringBuilder(text.Length);
            masked.Append('*', runes.Length - keep);
            foreach (var rune in runes.AsSpan(runes.Length - keep))
            {
                masked.Append(rune.ToString());
            }

            return masked.ToString();
        }
    }
}
