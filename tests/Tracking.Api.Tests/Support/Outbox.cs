using System.Text.Json.Nodes;

namespace Tracking.Api.Tests.Support;

/// <summary>Reads what the File sink completed: every line of every <c>yyyy/MM/dd/HH/*.ndjson</c> file.</summary>
public static class Outbox
{
    public static IEnumerable<string> CompleteFiles(string directory) =>
        Directory.Exists(directory)
            ? Directory.EnumerateFiles(directory, "*.ndjson", SearchOption.AllDirectories)
                .Where(f => !Path.GetRelativePath(directory, f).StartsWith(".inprogress", StringComparison.Ordinal))
            : [];

    public static List<JsonObject> ReadEvents(string directory) =>
        CompleteFiles(directory)
            .OrderBy(f => f, StringComparer.Ordinal)
            .SelectMany(File.ReadLines)
            .Select(line => JsonNode.Parse(line)!.AsObject())
            .ToList();
}
