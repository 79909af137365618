using System.Buffers;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Unicode;
using System.Text.RegularExpressions;
using Json.Schema;

namespace Tracking.Api.TrackingPlans;

/// <summary>
/// A fast check of the schemas tracking plans are mostly made of (<c>type</c>, <c>required</c>, <c>properties</c>,
/// <c>additionalProperties</c>, <c>enum</c>, <c>const</c>, numeric bounds, string lengths, <c>pattern</c>,
/// <c>format</c>, <c>items</c>, item counts), walking the value once without building JsonSchema.Net's evaluation
/// tree, which costs most of a request's time (and allocates enough to matter under load), and words the violations
/// itself. Whenever it cannot be sure (a value it cannot compare exactly, a pattern that matches differently under
/// .NET and ECMAScript rules) it says so, and JsonSchema.Net judges the value. A schema with any other keyword is not
/// compiled at all (<see cref="TryCompile"/> returns null) and is always left to JsonSchema.Net.
/// </summary>
internal sealed partial class QuickSchema
{
    private static readonly HashSet<string> Annotations = new(StringComparer.Ordinal)
    {
        "description", "title", "examples", "default", "$comment", "deprecated", "readOnly", "writeOnly",
    };

    private static readonly QuickSchema Anything = new() { _accepts = true };

    private static readonly QuickSchema Nothing = new() { _accepts = false };

    // Longer member names and strings are rare in tracking data; they are read through a string or a rented buffer.
    private const int MaxStackName = 128;
    private const int MaxStackText = 512;

    [ThreadStatic]
    private static Walk? t_walk;

    private Dictionary<string, Member>? _members;
    private Dictionary<string, Member>.AlternateLookup<ReadOnlySpan<char>> _memberLookup;
    private ulong _allRequired;
    private bool _patternAgreesOnAscii;

    private bool? _accepts;
    private Kinds _types = Kinds.Any;
    private string[] _required = [];
    private Dictionary<string, QuickSchema>? _properties;
    private QuickSchema? _additional;
    private JsonElement[]? _enum;
    private string?[]? _enumText;
    private string _enumRule = "enum";
    private decimal? _minimum;
    private decimal? _maximum;
    private decimal? _exclusiveMinimum;
    private decimal? _exclusiveMaximum;
    private int? _minLength;
    private int? _maxLength;
    private Regex[]? _pattern;
    private Format? _format;
    private QuickSchema? _items;
    private int? _minItems;
    private int? _maxItems;

    /// <summary>What an object schema says of one member name: its schema (null when only required) and its bit among the required (-1 when not).</summary>
    private readonly record struct Member(QuickSchema? Schema, int Required);

    [Flags]
    private enum Kinds
    {
        None = 0,
        Null = 1,
        Boolean = 2,
        Integer = 4,
        Number = 8,
        String = 16,
        Array = 32,
        Object = 64,
        Any = Null | Boolean | Integer | Number | String | Array | Object,
    }

    /// <summary>The fast form of <paramref name="node"/>, or null when it uses a keyword this does not check.</summary>
    public static QuickSchema? TryCompile(JsonNode? node)
    {
        if (node is JsonValue boolean && boolean.GetValueKind() is JsonValueKind.True or JsonValueKind.False)
        {
            return boolean.GetValue<bool>() ? Anything : Nothing;
        }

        if (node is not JsonObject schema)
        {
            return null;
        }

        var quick = new QuickSchema();
        foreach (var (keyword, value) in schema)
        {
            if (Annotations.Contains(keyword))
            {
                continue;
            }

            if (!quick.Take(keyword, value))
            {
                return null;
            }
        }

        return quick.Seal() ? quick : null;
    }

    /// <summary>What the checks read, derived once: the enum's strings and one table of the member names the schema knows (declared or required); false past 64 required members.</summary>
    private bool Seal()
    {
        _enumText = _enum?.Select(e => e.ValueKind == JsonValueKind.String ? e.GetString() : null).ToArray();
        if (_required.Length > 64)
        {
            return false;
        }

        if (_properties is null && _required.Length == 0)
        {
            return true;
        }

        _members = new Dictionary<string, Member>(StringComparer.Ordinal);
        foreach (var (name, schema) in _properties ?? [])
        {
            _members[name] = new Member(schema, -1);
        }

        for (var i = 0; i < _required.Length; i++)
        {
            // A name required twice has the bit of its first mention.
            var name = _required[i];
            if (!_members.TryGetValue(name, out var known))
            {
                _members[name] = new Member(null, i);
                _allRequired |= 1UL << i;
            }
            else if (known.Required < 0)
            {
                _members[name] = known with { Required = i };
                _allRequired |= 1UL << i;
            }
        }

        _memberLookup = _members.GetAlternateLookup<ReadOnlySpan<char>>();
        return true;
    }

    private bool Take(string keyword, JsonNode? value)
    {
        switch (keyword)
        {
            case "type":
                _types = Kinds.None;
                IEnumerable<JsonNode?> names = value is JsonArray many ? many : new[] { value };
                foreach (var name in names)
                {
                    var kind = name is JsonValue v && v.TryGetValue<string>(out var text) ? KindOf(text) : Kinds.None;
                    if (kind == Kinds.None)
                    {
                        return false;
                    }

                    _types |= kind;
                }

                return true;
            case "required":
                if (value is not JsonArray members || members.Any(m => m is not JsonValue mv || !mv.TryGetValue<string>(out _)))
                {
                    return false;
                }

                _required = members.Select(m => m!.GetValue<string>()).ToArray();
                return true;
            case "properties":
                if (value is not JsonObject properties)
                {
                    return false;
                }

                _properties = new Dictionary<string, QuickSchema>(StringComparer.Ordinal);
                foreach (var (name, schema) in properties)
                {
                    if (TryCompile(schema) is not { } compiled)
                    {
                        return false;
                    }

                    _properties[name] = compiled;
                }

                return true;
            case "additionalProperties":
                return (_additional = TryCompile(value)) is not null;
            case "items":
                return (_items = TryCompile(value)) is not null;
            case "enum":
                if (value is not JsonArray values)
                {
                    return false;
                }

                _enum = values.Select(v => JsonSerializer.SerializeToElement(v, TrackingPlanJsonContext.Default.JsonNode)).ToArray();
                return true;
            case "const":
                _enum = [JsonSerializer.SerializeToElement(value, TrackingPlanJsonContext.Default.JsonNode)];
                _enumRule = "const";
                return true;
            case "minimum":
                return Number(value, out _minimum);
            case "maximum":
                return Number(value, out _maximum);
            case "exclusiveMinimum":
                return Number(value, out _exclusiveMinimum);
            case "exclusiveMaximum":
                return Number(value, out _exclusiveMaximum);
            case "minLength":
                return Count(value, out _minLength);
            case "maxLength":
                return Count(value, out _maxLength);
            case "minItems":
                return Count(value, out _minItems);
            case "maxItems":
                return Count(value, out _maxItems);
            case "pattern":
                return value is JsonValue pv && pv.TryGetValue<string>(out var pattern) && Patterns(pattern);
            case "format":
                if (value is not JsonValue fv || !fv.TryGetValue<string>(out var format))
                {
                    return false;
                }

                _format = FormatRegistry.Global.Get(format);

                // A format JsonSchema.Net does not know is judged by its options, not by a rule: leave it to it.
                return !_format.GetType().Name.Contains("Unknown", StringComparison.Ordinal);
            default:
                return false;
        }
    }

    private bool Patterns(string pattern)
    {
        try
        {
            // Valid under both rule sets or not surely valid: JsonSchema.Net's \d, \w and the like are ECMAScript's.
            // Without \1-style escapes (back-references or octal: the two rule sets read them differently) the two agree on
            // ASCII text: \d, \w, \s and \b differ only beyond ASCII.
            _patternAgreesOnAscii = !BackReference().IsMatch(pattern);
            _pattern =
            [
                new Regex(pattern, RegexOptions.ECMAScript | RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100)),
                new Regex(pattern, RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100)),
            ];
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static Kinds KindOf(string name) => name switch
    {
        "null" => Kinds.Null,
        "boolean" => Kinds.Boolean,
        "integer" => Kinds.Integer,
        "number" => Kinds.Number | Kinds.Integer,
        "string" => Kinds.String,
        "array" => Kinds.Array,
        "object" => Kinds.Object,
        _ => Kinds.None,
    };

    private static bool Number(JsonNode? value, out decimal? number)
    {
        number = null;
        if (value is JsonValue v && v.GetValueKind() == JsonValueKind.Number
            && decimal.TryParse(v.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed))
        {
            number = parsed;
            return true;
        }

        return false;
    }

    private static bool Count(JsonNode? value, out int? count)
    {
        count = null;
        if (value is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<int>(out var n) && n >= 0)
        {
            count = n;
            return true;
        }

        return false;
    }

    /// <summary>
    /// Checks <paramref name="value"/> (at <paramref name="path"/>, a JSON Pointer into the event), adding each broken rule
    /// to <paramref name="violations"/>. False when this cannot be sure of its verdict (a number past decimal's range, a
    /// pattern that .NET and ECMAScript rules match differently, a regex timeout, an enum of arrays or objects): then
    /// JsonSchema.Net judges the whole value instead, and <paramref name="violations"/> is to be ignored. A value that
    /// keeps to the schema allocates nothing: member names are looked up from their UTF-8 bytes and the path of a value
    /// is only written out when a violation names it.
    /// </summary>
    public bool TryCheck(JsonElement value, string path, List<PlanViolation> violations)
    {
        var walk = t_walk ??= new Walk();
        walk.Start(path, violations);
        try
        {
            return Check(value, walk);
        }
        finally
        {
            walk.Start("", null);
        }
    }

    private bool Check(JsonElement value, Walk walk)
    {
        if (_accepts is { } fixedAnswer)
        {
            if (!fixedAnswer)
            {
                walk.Add("schema", "The plan's schema here is false: no value is allowed.");
            }

            return true;
        }

        if (OfType(value) is not { } typed)
        {
            return false;
        }

        // Every keyword is judged on its own, as JSON Schema does: a value of the wrong type still breaks an enum.
        if (!typed)
        {
            walk.Add("type", $"Value is \"{KindName(value)}\" but should be {TypeNames()}.");
        }

        if (_enum is not null)
        {
            var found = false;
            for (var i = 0; i < _enum.Length; i++)
            {
                if (SurelyEqual(_enum[i], _enumText![i], value) is not { } equal)
                {
                    return false;
                }

                found |= equal;
            }

            if (!found)
            {
                walk.Add(_enumRule, _enumRule == "const" ? "Value should be the one value the plan gives." : "Value should match one of the values the plan lists.");
            }
        }

        return value.ValueKind switch
        {
            JsonValueKind.Object => ObjectChecked(value, walk),
            JsonValueKind.Array => ArrayChecked(value, walk),
            JsonValueKind.Number => NumberChecked(value, walk),
            JsonValueKind.String => StringChecked(value, walk),
            _ => true,
        };
    }

    private bool ObjectChecked(JsonElement value, Walk walk)
    {
        ulong present = 0;
        foreach (var member in value.EnumerateObject())
        {
            var known = Lookup(member, out var entry);
            if (known && entry.Required >= 0)
            {
                present |= 1UL << entry.Required;
            }

            var declared = known && entry.Schema is not null;
            var rule = declared ? entry.Schema : _additional;
            if (rule is null)
            {
                continue;
            }

            walk.Enter(member);
            try
            {
                if (!declared && rule._accepts == false)
                {
                    walk.Add("additionalProperties", "The property is not in the plan, which allows no others.");
                }
                else if (!rule.Check(member.Value, walk))
                {
                    return false;
                }
            }
            finally
            {
                walk.Leave();
            }
        }

        if (_required.Length > 0 && present != _allRequired)
        {
            var missing = _required.Where(name => (present & (1UL << _members![name].Required)) == 0);
            walk.Add("required", $"Required properties [{string.Join(", ", missing.Select(m => JsonSerializer.Serialize(m, TrackingPlanJsonContext.Default.String)))}] are not present.");
        }

        return true;
    }

    /// <summary>What the schema says of <paramref name="member"/>'s name, read without making a string of it.</summary>
    private bool Lookup(JsonProperty member, out Member entry)
    {
        if (_members is null)
        {
            entry = default;
            return false;
        }

        var raw = JsonMarshal.GetRawUtf8PropertyName(member);
        if (raw.Length <= MaxStackName && !raw.Contains((byte)'\\'))
        {
            Span<char> name = stackalloc char[MaxStackName];
            if (Utf8.ToUtf16(raw, name, out _, out var written, replaceInvalidSequences: false) == OperationStatus.Done)
            {
                return _memberLookup.TryGetValue(name[..written], out entry);
            }
        }

        return _members.TryGetValue(member.Name, out entry);
    }

    private bool ArrayChecked(JsonElement value, Walk walk)
    {
        var count = value.GetArrayLength();
        if (count < (_minItems ?? 0))
        {
            walk.Add("minItems", $"Value should have at least {_minItems} items.");
        }

        if (count > (_maxItems ?? int.MaxValue))
        {
            walk.Add("maxItems", $"Value should have at most {_maxItems} items.");
        }

        if (_items is not null)
        {
            var index = 0;
            foreach (var item in value.EnumerateArray())
            {
                walk.Enter(index);
                try
                {
                    if (!_items.Check(item, walk))
                    {
                        return false;
                    }
                }
                finally
                {
                    walk.Leave();
                }

                index++;
            }
        }

        return true;
    }

    private bool NumberChecked(JsonElement value, Walk walk)
    {
        if (_minimum is null && _maximum is null && _exclusiveMinimum is null && _exclusiveMaximum is null)
        {
            return true;
        }

        if (!value.TryGetDecimal(out var number))
        {
            return false;
        }

        // Worded without the number sent: violations are stored beside data the privacy rules may have hashed.
        if (_minimum is { } min && number < min)
        {
            walk.Add("minimum", "The number is outside the schema's minimum.");
        }

        if (_maximum is { } max && number > max)
        {
            walk.Add("maximum", "The number is outside the schema's maximum.");
        }

        if (_exclusiveMinimum is { } xmin && number <= xmin)
        {
            walk.Add("exclusiveMinimum", "The number is outside the schema's exclusiveMinimum.");
        }

        if (_exclusiveMaximum is { } xmax && number >= xmax)
        {
            walk.Add("exclusiveMaximum", "The number is outside the schema's exclusiveMaximum.");
        }

        return true;
    }

    private bool StringChecked(JsonElement value, Walk walk)
    {
        if (_minLength is null && _maxLength is null && _pattern is null && _format is null)
        {
            return true;
        }

        // The string as sent, between its quotes; an escaped one is decoded (rare in tracking data, and it allocates).
        var raw = JsonMarshal.GetRawUtf8Value(value)[1..^1];
        char[]? rented = null;
        try
        {
            ReadOnlySpan<char> text;
            var ascii = Ascii.IsValid(raw);
            if (raw.Contains((byte)'\\'))
            {
                text = value.GetString();
                ascii = Ascii.IsValid(text);
            }
            else if (_minLength is null && _maxLength is null && _pattern is null)
            {
                text = default;
            }
            else
            {
                var chars = raw.Length <= MaxStackText ? walk.Text : (rented = ArrayPool<char>.Shared.Rent(raw.Length));
                var written = Encoding.UTF8.GetChars(raw, chars);
                text = chars.AsSpan(0, written);
            }

            if (_minLength is not null || _maxLength is not null)
            {
                // JSON Schema counts characters (code points), not UTF-16 units.
                var length = ascii ? text.Length : CodePoints(text);
                if (length < (_minLength ?? 0))
                {
                    walk.Add("minLength", $"Value should be at least {_minLength} characters.");
                }

                if (length > (_maxLength ?? int.MaxValue))
                {
                    walk.Add("maxLength", $"Value should be at most {_maxLength} characters.");
                }
            }

            if (_pattern is not null)
            {
                bool ecmaScript, dotnet;
                try
                {
                    dotnet = _pattern[1].IsMatch(text);

                    // On ASCII text the two rule sets differ only in back-references and octal escapes: one match tells both.
                    ecmaScript = ascii && _patternAgreesOnAscii ? dotnet : _pattern[0].IsMatch(text);
                }
                catch (RegexMatchTimeoutException)
                {
                    return false;
                }

                if (ecmaScript != dotnet)
                {
                    return false;
                }

                if (!ecmaScript)
                {
                    walk.Add("pattern", "The string value does not match the plan's regular expression.");
                }
            }
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<char>.Shared.Return(rented);
            }
        }

        if (_format is not null && !_format.Validate(value, out _))
        {
            walk.Add("format", $"Value does not match format \"{_format.Key}\".");
        }

        return true;
    }

    private static int CodePoints(ReadOnlySpan<char> text)
    {
        var count = 0;
        foreach (var _ in text.EnumerateRunes())
        {
            count++;
        }

        return count;
    }

    private static string KindName(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Null => "null",
        JsonValueKind.True or JsonValueKind.False => "boolean",
        JsonValueKind.String => "string",
        JsonValueKind.Array => "array",
        JsonValueKind.Object => "object",
        _ => value.TryGetDecimal(out var d) && decimal.Truncate(d) == d ? "integer" : "number",
    };

    private string TypeNames() =>
        string.Join(" or ", Enum.GetValues<Kinds>()
            .Where(k => k is not (Kinds.None or Kinds.Any) && (_types & k) == k && !(k == Kinds.Integer && (_types & Kinds.Number) != 0))
            .Select(k => $"\"{k.ToString().ToLowerInvariant()}\""));

    /// <summary>Whether the value is of a type the schema allows; null when it cannot tell (a number past decimal's range and an integer type).</summary>
    private bool? OfType(JsonElement value)
    {
        if (_types == Kinds.Any)
        {
            return true;
        }

        var kind = value.ValueKind switch
        {
            JsonValueKind.Null => Kinds.Null,
            JsonValueKind.True or JsonValueKind.False => Kinds.Boolean,
            JsonValueKind.String => Kinds.String,
            JsonValueKind.Array => Kinds.Array,
            JsonValueKind.Object => Kinds.Object,
            _ => Kinds.Number,
        };
        if (kind != Kinds.Number)
        {
            return (_types & kind) != 0;
        }

        if ((_types & Kinds.Number) != 0)
        {
            return true;
        }

        if ((_types & Kinds.Integer) == 0)
        {
            return false;
        }

        // 1.0 is an integer to JSON Schema; a number past decimal's range is left to JsonSchema.Net.
        return value.TryGetDecimal(out var d) ? decimal.Truncate(d) == d : null;
    }

    /// <summary>Whether two scalars are equal (numbers by decimal value); null when this cannot tell (arrays, objects, a number past decimal's range).</summary>
    /// <param name="expected">The value the schema lists.</param>
    /// <param name="text">Its text, when it is a string.</param>
    /// <param name="value">The value sent.</param>
    private static bool? SurelyEqual(JsonElement expected, string? text, JsonElement value)
    {
        if (expected.ValueKind is JsonValueKind.Array or JsonValueKind.Object || value.ValueKind is JsonValueKind.Array or JsonValueKind.Object)
        {
            return null;
        }

        if (expected.ValueKind == JsonValueKind.Number && value.ValueKind == JsonValueKind.Number)
        {
            return expected.TryGetDecimal(out var a) && value.TryGetDecimal(out var b) ? a == b : null;
        }

        return expected.ValueKind == value.ValueKind
            && (expected.ValueKind != JsonValueKind.String || value.ValueEquals(text));
    }

    [GeneratedRegex(@"\\[0-9]", RegexOptions.CultureInvariant)]
    private static partial Regex BackReference();

    /// <summary>
    /// Where one check is: the pointer of the value it started at, the members and indexes entered since (written out
    /// only when a violation names them), and a buffer for string values. One per thread, reused.
    /// </summary>
    private sealed class Walk
    {
        private readonly List<(JsonProperty Member, int Index)> _segments = [];
        private string _root = "";
        private List<PlanViolation>? _violations;

        public char[] Text { get; } = new char[MaxStackText];

        public void Start(string root, List<PlanViolation>? violations)
        {
            _root = root;
            _violations = violations;
            _segments.Clear();
        }

        public void Enter(JsonProperty member) => _segments.Add((member, -1));

        public void Enter(int index) => _segments.Add((default, index));

        public void Leave() => _segments.RemoveAt(_segments.Count - 1);

        public void Add(string rule, string message) => _violations!.Add(new PlanViolation(rule, Path(), message));

        private string Path()
        {
            if (_segments.Count == 0)
            {
                return _root;
            }

            var path = new StringBuilder(_root);
            foreach (var (member, index) in _segments)
            {
                path.Append('/');
                if (index >= 0)
                {
                    path.Append(index.ToString(CultureInfo.InvariantCulture));
                }
                else
                {
                    path.Append(member.Name.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal));
                }
            }

            return path.ToString();
        }
    }
}
