using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;

namespace Tracking.Api.TrackingPlans;

/// <summary>
/// Reads a plan file (<see cref="PlanDocument"/>: JSON, or YAML for <c>.yaml</c>/<c>.yml</c>) and compiles its schemas once. Every problem is a
/// <see cref="TrackingPlanException"/> whose message names the file and where in it: the line for a syntax error,
/// the plan's own path (<c>track 'Order Completed' properties</c>) for a plan or schema that is not right.
/// </summary>
internal static class TrackingPlanLoader
{
    /// <summary>The largest plan file read.</summary>
    public const long MaxFileBytes = PlanDocument.MaxFileBytes;

    /// <summary>Keys of this prefix are extensions the loader ignores, at the top and in each entry (a drafted plan's <c>x-observed</c> counts).</summary>
    public const string ExtensionPrefix = PlanDocument.ExtensionPrefix;

    private static readonly JsonElement EmptyObject = JsonDocument.Parse("{}").RootElement.Clone();

    public static TrackingPlan Load(string path)
    {
        var document = PlanDocument.Read(path);
        try
        {
            return Compile(document);
        }
        catch (PlanFormatException ex)
        {
            throw new TrackingPlanException($"the tracking plan file '{document.File}': {ex.Message}", ex);
        }
    }

    /// <summary>Compiles a plan already read (a JSON object): for the loader and for plans built in tests.</summary>
    internal static TrackingPlan Compile(JsonNode? root, string file) => Compile(PlanDocument.Parse(root, file));

    private static TrackingPlan Compile(PlanDocument document)
    {
        var plan = document.Root;
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
                var element = JsonSerializer.SerializeToElement(node, PlanJsonContext.Default.JsonNode);
                schema = JsonSchema.Build(element, new BuildOptions { SchemaRegistry = registry }, new Uri($"urn:tracking-plan:schema:{++count}"));

                // A reference that resolves nowhere is only found when evaluated: find it now, not on the first event.
                schema.Evaluate(EmptyObject, new EvaluationOptions { OutputFormat = OutputFormat.Flag });
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                throw new PlanFormatException($"{where} is not a valid JSON Schema: {PlanDocument.OneLine(ex.Message)}");
            }

            if (QuickSchema.TryCompile(node) is { } fast)
            {
                quick[schema] = fast;
            }

            return schema;
        }

        Dictionary<string, JsonSchema>? Named(IReadOnlyDictionary<string, JsonNode?>? section, string key) =>
            section?.ToDictionary(e => e.Key, e => Schema(e.Value, $"{key} '{e.Key}' properties"), StringComparer.Ordinal);

        var traits = document.HasTraits ? Schema(document.Traits, "identify traits") : null;
        var groupTraits = document.HasGroupTraits ? Schema(document.GroupTraits, "group traits") : null;
        return new TrackingPlan(document.File, unplanned, Named(document.Tracks, "track"), traits, Named(document.Pages, "page"), Named(document.Screens, "screen"), quick, groupTraits);
    }
}
