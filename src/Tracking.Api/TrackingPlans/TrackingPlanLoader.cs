using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;
using YamlDotNet.Core;

namespace Tracking.Api.TrackingPlans;

/// <summary>
/// Reads a plan file (JSON, or YAML for <c>.yaml</c>/<c>.yml</c>) and compiles its schemas once. Every problem is a
/// <see cref="TrackingPlanException"/> whose message names the file and where in it: the line for a syntax error,
/// the plan's own path (<c>track 'Order Completed' properties</c>) for a plan or schema that is not right.
/// </summary>
internal static class TrackingPlanLoader
{
    /// <summary>The largest plan file read: far more than hundreds of events need, and bounded so a wrong path (a log, a disk image) fails fast.</summary>
    public const long MaxFileBytes = 4 * 1024 * 1024;

    private static readonly string[] TopKeys = ["description", "unplanned", "track", "identify", "group", "page", "screen"];

    /// <summary>Keys of this prefix are extensions the loader ignores, at the top and in each entry (a drafted plan's <c>x-observed</c> counts).</summary>
    public const string ExtensionPrefix = "x-";

    private static readonly JsonElement EmptyObject = JsonDocument.Parse("{}").RootElement.Clone();

    public static TrackingPlan Load(string path)
    {
        var full = Path.GetFullPath(path);
        string text;
        try
        {
            var length = new FileInfo(full).Length;
            if (length > MaxFileBytes)
            {
                throw new TrackingPlanException($"the tracking plan file '{full}' is {length} bytes; the most read is {MaxFileBytes}.");
            }

            text = File.ReadAllText(full);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new TrackingPlanException($"the tracking plan file '{full}' cannot be read: {ex.Message}", ex);
        }

        JsonNode? root;
        try
        {
            root = IsYaml(full)
                ? YamlToJson.Convert(new StringReader(text))
                : JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (YamlException ex)
        {
            throw new TrackingPlanException($"the tracking plan file '{full}' is not valid YAML at line {ex.Start.Line}, column {ex.Start.Column}: {OneLine(ex.Message)}", ex);
        }
        catch (InvalidOperationException ex) when (IsYaml(full))
        {
            // YamlDotNet's scanner throws this, not a YamlException, on some malformed plain scalars (found by fuzzing).
            throw new TrackingPlanException($"the tracking plan file '{full}' is not valid YAML: {OneLine(ex.Message)}", ex);
        }
        catch (JsonException ex)
        {
            throw new TrackingPlanException($"the tracking plan file '{full}' is not valid JSON at line {ex.LineNumber + 1}, byte {ex.BytePositionInLine + 1}: {OneLine(ex.Message)}", ex);
        }

        try
        {
            return Compile(root, full);
        }
        catch (PlanFormatException ex)
        {
            throw new TrackingPlanException($"the tracking plan file '{full}': {ex.Message}", ex);
        }
    }

    /// <summary>Compiles a plan already read (a JSON object): for the loader and for plans built in tests.</summary>
    internal static TrackingPlan Compile(JsonNode? root, string file)
    {
        if (root is not JsonObject plan)
        {
            throw new PlanFormatException("the plan must be an object with some of the keys " + string.Join(", ", TopKeys) + ".");
        }

        foreach (var (key, _) in plan)
        {
            if (!TopKeys.Contains(key, StringComparer.Ordinal) && !IsExtension(key))
            {
                throw new PlanFormatException($"unknown key '{key}' at the top; the keys are {string.Join(", ", TopKeys)} (and extensions named {ExtensionPrefix}…).");
            }
        }

        var unplanned = plan["unplanned"] switch
        {
            null => UnplannedAction.Allow,
            JsonValue v when v.TryGetValue<string>(out var s) && s == "allow" => UnplannedAction.Allow,
            JsonValue v when v.TryGetValue<string>(out var s) && s == "violation" => UnplannedAction.Violation,
            var other => throw new PlanFormatException($"'unplanned' is {other.ToJsonString()}: it must be allow or violation."),
        };

        var registry = new SchemaRegistry();
        var quick = new Dictionary<JsonSchema, QuickSchema>(ReferenceEqualityComparer.Instance);
        var count = 0;
        JsonSchema Schema(JsonNode? node, string where)
        {
            if (node is not JsonObject && !(node is JsonValue value && value.GetValueKind() is JsonValueKind.True or JsonValueKind.False))
            {
                throw new PlanFormatException($"{where} must be a JSON Schema (an object, or true or false).");
            }

            JsonSchema schema;
            try
            {
                var element = JsonSerializer.SerializeToElement(node, TrackingPlanJsonContext.Default.JsonNode);
                schema = JsonSchema.Build(element, new BuildOptions { SchemaRegistry = registry }, new Uri($"urn:tracking-plan:schema:{++count}"));

                // A reference that resolves nowhere is only found when evaluated: find it now, not on the first event.
                schema.Evaluate(EmptyObject, new EvaluationOptions { OutputFormat = OutputFormat.Flag });
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                throw new PlanFormatException($"{where} is not a valid JSON Schema: {OneLine(ex.Message)}");
            }

            if (QuickSchema.TryCompile(node) is { } fast)
            {
                quick[schema] = fast;
            }

            return schema;
        }

        Dictionary<string, JsonSchema>? Named(string key)
        {
            var section = plan[key];
            if (section is null)
            {
                return null;
            }

            if (section is not JsonObject entries)
            {
                throw new PlanFormatException($"'{key}' must be an object mapping each name to its 'properties' schema.");
            }

            var result = new Dictionary<string, JsonSchema>(StringComparer.Ordinal);
            foreach (var (name, entry) in entries)
            {
                if (name.Length == 0)
                {
                    throw new PlanFormatException($"'{key}' lists an empty name.");
                }

                result[name] = Schema(Member(entry, $"{key} '{name}'", "properties"), $"{key} '{name}' properties");
            }

            return result;
        }

        JsonSchema? traits = null;
        if (plan.ContainsKey("identify"))
        {
            traits = Schema(Member(plan["identify"], "identify", "traits"), "identify traits");
        }

        JsonSchema? groupTraits = null;
        if (plan.ContainsKey("group"))
        {
            groupTraits = Schema(Member(plan["group"], "group", "traits"), "group traits");
        }

        return new TrackingPlan(file, unplanned, Named("track"), traits, Named("page"), Named("screen"), quick, groupTraits);
    }

    /// <summary>An entry's schema: <paramref name="member"/> of an object with it and an optional description; true when the entry is empty.</summary>
    private static JsonNode? Member(JsonNode? entry, string where, string member)
    {
        if (entry is null)
        {
            return JsonValue.Create(true);
        }

        if (entry is not JsonObject fields)
        {
            throw new PlanFormatException($"{where} must be an object with '{member}' (a JSON Schema) and an optional 'description'.");
        }

        foreach (var (field, _) in fields)
        {
            if (field != member && field != "description" && !IsExtension(field))
            {
                throw new PlanFormatException($"{where} has the unknown key '{field}'; its keys are {member} and description (and extensions named {ExtensionPrefix}…).");
            }
        }

        return fields.ContainsKey(member) ? fields[member] : JsonValue.Create(true);
    }

    private static bool IsExtension(string key) => key.StartsWith(ExtensionPrefix, StringComparison.Ordinal);

    private static bool IsYaml(string path) =>
        path.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".yml", StringComparison.OrdinalIgnoreCase);

    private static string OneLine(string text) => text.ReplaceLineEndings(" ");

    /// <summary>What is wrong with the plan's content, before the file's name is put in front.</summary>
    private sealed class PlanFormatException(string message) : Exception(message);
}
