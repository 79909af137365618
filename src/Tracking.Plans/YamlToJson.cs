using System.Globalization;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Tracking.Plans;

/// <summary>
/// A YAML document as the JSON it stands for, so a YAML plan and a JSON plan are read by the same code.
/// Plain scalars take YAML 1.2's core types (null, true/false, numbers); quoted or tagged scalars stay strings,
/// so <c>"1"</c> in an <c>enum</c> is the string it looks like. Read from the parser's events with a stack of its own,
/// not by recursion: a deeply nested file is refused at <see cref="MaxDepth"/>, it cannot overflow the stack.
/// Aliases are refused (a few lines of anchors can stand for billions of nodes).
/// </summary>
public static class YamlToJson
{
    /// <summary>The deepest nesting read, as System.Text.Json's default.</summary>
    public const int MaxDepth = 64;

    public static JsonNode? Convert(TextReader text)
    {
        var parser = new Parser(text);
        var open = new Stack<(JsonNode Node, string? PendingKey)>();
        JsonNode? root = null;
        var documents = 0;
        var done = false;
        while (parser.MoveNext())
        {
            var current = parser.Current!;
            switch (current)
            {
                case DocumentStart:
                    if (++documents > 1)
                    {
                        throw new YamlException(current.Start, current.End, "A tracking plan is one YAML document; this file has more ('---').");
                    }

                    break;
                case AnchorAlias:
                    throw new YamlException(current.Start, current.End, "Aliases (*name) are not allowed in a tracking plan.");
                case MappingStart or SequenceStart:
                    if (open.Count >= MaxDepth)
                    {
                        throw new YamlException(current.Start, current.End, $"The plan nests deeper than {MaxDepth} levels.");
                    }

                    JsonNode container = current is MappingStart ? new JsonObject() : new JsonArray();
                    Place(open, container, current, ref root, ref done);
                    open.Push((container, null));
                    break;
                case MappingEnd or SequenceEnd:
                    if (open.Pop().PendingKey is { } pending)
                    {
                        throw new YamlException(current.Start, current.End, $"The key '{pending}' has no value.");
                    }

                    break;
                case Scalar scalar:
                    if (open.Count > 0 && open.Peek() is { Node: JsonObject, PendingKey: null } top)
                    {
                        if (((JsonObject)top.Node).ContainsKey(scalar.Value))
                        {
                            throw new YamlException(scalar.Start, scalar.End, $"The key '{scalar.Value}' appears twice.");
                        }

                        open.Pop();
                        open.Push((top.Node, scalar.Value));
                        break;
                    }

                    Place(open, ToScalar(scalar), current, ref root, ref done);
                    break;
            }
        }

        return root;
    }

    /// <summary>Puts <paramref name="node"/> where the parser is: under the pending key, at the end of a sequence, or as the root.</summary>
    private static void Place(Stack<(JsonNode Node, string? PendingKey)> open, JsonNode? node, ParsingEvent at, ref JsonNode? root, ref bool done)
    {
        if (open.Count == 0)
        {
            if (done)
            {
                throw new YamlException(at.Start, at.End, "A tracking plan is one YAML document.");
            }

            root = node;
            done = true;
            return;
        }

        var (parent, key) = open.Pop();
        if (parent is JsonArray array)
        {
            array.Add(node);
            open.Push((parent, null));
            return;
        }

        if (key is null)
        {
            // A mapping or sequence as a key (? [a, b]: c) has no JSON form.
            throw new YamlException(at.Start, at.End, "A mapping key must be a plain string.");
        }

        ((JsonObject)parent)[key] = node;
        open.Push((parent, null));
    }

    private static JsonValue? ToScalar(Scalar scalar)
    {
        var value = scalar.Value;
        if (scalar.Style != ScalarStyle.Plain || !scalar.Tag.IsEmpty)
        {
            return JsonValue.Create(value);
        }

        switch (value)
        {
            case "" or "~" or "null" or "Null" or "NULL":
                return null;
            case "true" or "True" or "TRUE":
                return JsonValue.Create(true);
            case "false" or "False" or "FALSE":
                return JsonValue.Create(false);
        }

        if (long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer))
        {
            return JsonValue.Create(integer);
        }

        if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && double.IsFinite(number))
        {
            return JsonValue.Create(number);
        }

        return JsonValue.Create(value);
    }
}
