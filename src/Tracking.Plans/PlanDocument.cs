using System.Text.Json;
using System.Text.Json.Nodes;
using YamlDotNet.Core;

namespace Tracking.Plans;

/// <summary>
/// A plan file read (JSON, or YAML for <c>.yaml</c>/<c>.yml</c>) and its shape checked: the top keys, and each
/// section's entries with their schema (<c>properties</c> or <c>traits</c>) as JSON, not yet compiled. The API
/// compiles the schemas to check events; the consumer reads the track events' properties to build its views.
/// Every problem of the file is a <see cref="TrackingPlanException"/> naming the file and where in it.
/// </summary>
public sealed class PlanDocument
{
    /// <summary>The largest plan file read: far more than hundreds of events need, and bounded so a wrong path (a log, a disk image) fails fast.</summary>
    public const long MaxFileBytes = 4 * 1024 * 1024;

    /// <summary>Keys of this prefix are extensions the reader ignores, at the top and in each entry (a drafted plan's <c>x-observed</c> counts).</summary>
    public const string ExtensionPrefix = "x-";

    private static readonly string[] TopKeys = ["description", "unplanned", "track", "identify", "group", "page", "screen"];

    private PlanDocument(string file, JsonObject root)
    {
        File = file;
        Root = root;
        Tracks = Named(root, "track");
        Pages = Named(root, "page");
        Screens = Named(root, "screen");
        HasTraits = root.ContainsKey("identify");
        Traits = HasTraits ? Member(root["identify"], "identify", "traits") : null;
        HasGroupTraits = root.ContainsKey("group");
        GroupTraits = HasGroupTraits ? Member(root["group"], "group", "traits") : null;
    }

    /// <summary>The file the plan was read from, full path (or the name a plan built in code was given).</summary>
    public string File { get; }

    /// <summary>The whole plan, for the keys this class does not interpret (<c>unplanned</c>).</summary>
    public JsonObject Root { get; }

    /// <summary>Each planned track event's <c>properties</c> schema by name; null when the plan has no <c>track</c> section.</summary>
    public IReadOnlyDictionary<string, JsonNode?>? Tracks { get; }

    /// <summary>Each planned page's <c>properties</c> schema by name; null when the plan has no <c>page</c> section.</summary>
    public IReadOnlyDictionary<string, JsonNode?>? Pages { get; }

    /// <summary>Each planned screen's <c>properties</c> schema by name; null when the plan has no <c>screen</c> section.</summary>
    public IReadOnlyDictionary<string, JsonNode?>? Screens { get; }

    /// <summary>Whether the plan has an <c>identify</c> section.</summary>
    public bool HasTraits { get; }

    /// <summary>The <c>identify</c> traits schema (true for an empty entry) when <see cref="HasTraits"/>.</summary>
    public JsonNode? Traits { get; }

    /// <summary>Whether the plan has a <c>group</c> section.</summary>
    public bool HasGroupTraits { get; }

    /// <summary>The <c>group</c> traits schema (true for an empty entry) when <see cref="HasGroupTraits"/>.</summary>
    public JsonNode? GroupTraits { get; }

    /// <summary>Reads the plan file at <paramref name="path"/>; a relative path is taken from the current folder.</summary>
    public static PlanDocument Read(string path)
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

            text = System.IO.File.ReadAllText(full);
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
            return Parse(root, full);
        }
        catch (PlanFormatException ex)
        {
            throw new TrackingPlanException($"the tracking plan file '{full}': {ex.Message}", ex);
        }
    }

    /// <summary>Checks the shape of a plan already read (a JSON object): for <see cref="Read"/> and for plans built in tests.</summary>
    /// <exception cref="PlanFormatException">The plan is not an object of the known keys, or an entry is not right.</exception>
    public static PlanDocument Parse(JsonNode? root, string file)
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

        return new PlanDocument(file, plan);
    }

    /// <summary>A section's entries by name, each its schema; null when the plan has no such section.</summary>
    private static Dictionary<string, JsonNode?>? Named(JsonObject plan, string key)
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

        var result = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
        foreach (var (name, entry) in entries)
        {
            if (name.Length == 0)
            {
                throw new PlanFormatException($"'{key}' lists an empty name.");
            }

            result[name] = Member(entry, $"{key} '{name}'", "properties");
        }

        return result;
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

    /// <summary>A message on one line, as a refused start prints it.</summary>
    public static string OneLine(string text) => text.ReplaceLineEndings(" ");
}
