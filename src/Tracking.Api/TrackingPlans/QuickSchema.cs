using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
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
internal sealed class QuickSchema
{
    private static readonly HashSet<string> Annotations = new(StringComparer.Ordinal)
    {
        "description", "title", "examples", "default", "$comment", "deprecated", "readOnly", "writeOnly",
    };

    private static readonly QuickSchema Anything = new() { _accepts = true };

    private static readonly QuickSchema Nothing = new() { _accepts = false };

    private bool? _accepts;
    private Kinds _types = Kinds.Any;
    private string[] _required = [];
    private Dictionary<string, QuickSchema>? _properties;
    private QuickSchema? _additional;
    private JsonElement[]? _enum;
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

        return quick;
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
    /// JsonSchema.Net judges the whole value instead, and <paramref name="violations"/> is to be ignored.
    /// </summary>
    public bool TryCheck(JsonElement value, string path, List<PlanViolation> violations)
    {
        if (_accepts is { } fixedAnswer)
        {
            if (!fixedAnswer)
            {
                violations.Add(new PlanViolation("schema", path, "The plan's schema here is false: no value is allowed."));
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
            violations.Add(new PlanViolation("type", path, $"Value is \"{KindName(value)}\" but should be {TypeNames()}."));
        }

        if (_enum is not null)
        {
            var found = false;
            foreach (var expected in _enum)
            {
                if (SurelyEqual(expected, value) is not { } equal)
                {
                    return false;
                }

                found |= equal;
            }

            if (!found)
            {
                violations.Add(new PlanViolation(_enumRule, path, _enumRule == "const" ? "Value should be the one value the plan gives." : "Value should match one of the values the plan lists."));
            }
        }

        return value.ValueKind switch
        {
            JsonValueKind.Object => ObjectChecked(value, path, violations),
            JsonValueKind.Array => ArrayChecked(value, path, violations),
            JsonValueKind.Number => NumberChecked(value, path, violations),
            JsonValueKind.String => StringChecked(value, path, violations),
            _ => true,
        };
    }

    private bool ObjectChecked(JsonElement value, string path, List<PlanViolation> violations)
    {
        List<string>? missing = null;
        foreach (var name in _required)
        {
            if (!value.TryGetProperty(name, out _))
            {
                (missing ??= []).Add(name);
            }
        }

        if (missing is not null)
        {
            violations.Add(new PlanViolation("required", path, $"Required properties [{string.Join(", ", missing.Select(m => JsonSerializer.Serialize(m, TrackingPlanJsonContext.Default.String)))}] are not present."));
        }

        foreach (var member in value.EnumerateObject())
        {
            QuickSchema? schema = null;
            var declared = _properties is not null && _properties.TryGetValue(member.Name, out schema);
            var rule = declared ? schema : _additional;
            if (rule is null)
            {
                continue;
            }

            var at = path + "/" + member.Name.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal);
            if (!declared && rule._accepts == false)
            {
                violations.Add(new PlanViolation("additionalProperties", at, "The property is not in the plan, which allows no others."));
            }
            else if (!rule.TryCheck(member.Value, at, violations))
            {
                return false;
            }
        }

        return true;
    }

    private bool ArrayChecked(JsonElement value, string path, List<PlanViolation> violations)
    {
        var count = value.GetArrayLength();
        if (count < (_minItems ?? 0))
        {
            violations.Add(new PlanViolation("minItems", path, $"Value should have at least {_minItems} items."));
        }

        if (count > (_maxItems ?? int.MaxValue))
        {
            violations.Add(new PlanViolation("maxItems", path, $"Value should have at most {_maxItems} items."));
        }

        if (_items is not null)
        {
            var index = 0;
            foreach (var item in value.EnumerateArray())
            {
                if (!_items.TryCheck(item, path + "/" + index.ToString(CultureInfo.InvariantCulture), violations))
                {
                    return false;
                }

                index++;
            }
        }

        return true;
    }

    private bool NumberChecked(JsonElement value, string path, List<PlanViolation> violations)
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
        void Outside(string keyword) => violations.Add(new PlanViolation(keyword, path, $"The number is outside the schema's {keyword}."));
        if (_minimum is { } min && number < min)
        {
            Outside("minimum");
        }

        if (_maximum is { } max && number > max)
        {
            Outside("maximum");
        }

        if (_exclusiveMinimum is { } xmin && number <= xmin)
        {
            Outside("exclusiveMinimum");
        }

        if (_exclusiveMaximum is { } xmax && number >= xmax)
        {
            Outside("exclusiveMaximum");
        }

        return true;
    }

    private bool StringChecked(JsonElement value, string path, List<PlanViolation> violations)
    {
        if (_minLength is null && _maxLength is null && _pattern is null && _format is null)
        {
            return true;
        }

        var text = value.GetString()!;
        if (_minLength is not null || _maxLength is not null)
        {
            // JSON Schema counts characters (code points), not UTF-16 units.
            var length = text.EnumerateRunes().Count();
            if (length < (_minLength ?? 0))
            {
                violations.Add(new PlanViolation("minLength", path, $"Value should be at least {_minLength} characters."));
            }

            if (length > (_maxLength ?? int.MaxValue))
            {
                violations.Add(new PlanViolation("maxLength", path, $"Value should be at most {_maxLength} characters."));
            }
        }

        if (_pattern is not null)
        {
            bool ecmaScript, dotnet;
            try
            {
                (ecmaScript, dotnet) = (_pattern[0].IsMatch(text), _pattern[1].IsMatch(text));
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
                violations.Add(new PlanViolation("pattern", path, "The string value does not match the plan's regular expression."));
            }
        }

        if (_format is not null && !_format.Validate(value, out _))
        {
            violations.Add(new PlanViolation("format", path, $"Value does not match format \"{_format.Key}\"."));
        }

        return true;
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
    private static bool? SurelyEqual(JsonElement expected, JsonElement value)
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
            && (expected.ValueKind != JsonValueKind.String || expected.ValueEquals(value.GetString()));
    }
}
