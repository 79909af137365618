using System.Globalization;
using System.IO.Compression;
using System.Text;
using System.Text.Json.Nodes;

namespace Tracking.Replay.Tests;

/// <summary>A temporary archive in the File sink's layout, deleted on dispose.</summary>
public sealed class ArchiveFolder : IDisposable
{
    public ArchiveFolder()
    {
        Root = Path.Combine(Path.GetTempPath(), $"tracking-replay-tests-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Root);
    }

    public string Root { get; }

    /// <summary>An enriched event as the API writes it.</summary>
    public static string Event(string messageId, DateTimeOffset receivedAt, string? anonymousId = "anon-1", string? userId = null) =>
        new JsonObject
        {
            ["type"] = "track",
            ["event"] = "Replayed",
            ["messageId"] = messageId,
            ["anonymousId"] = anonymousId,
            ["userId"] = userId,
            ["timestamp"] = receivedAt.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
            ["receivedAt"] = receivedAt.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
            ["source"] = "replay-tests",
        }.ToJsonString();

    /// <summary>Writes a file into the hour folder of <paramref name="openedAt"/>, named as the File sink names it.</summary>
    public string Write(DateTimeOffset openedAt, IEnumerable<string> lines, bool gzip = false)
    {
        var utc = openedAt.UtcDateTime;
        var folder = Path.Combine(Root, utc.ToString("yyyy", CultureInfo.InvariantCulture), utc.ToString("MM", CultureInfo.InvariantCulture), utc.ToString("dd", CultureInfo.InvariantCulture), utc.ToString("HH", CultureInfo.InvariantCulture));
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, $"events-{utc:yyyy-MM-dd-HH-mm-ss}-{Guid.NewGuid():N}.ndjson");
        var bytes = Encoding.UTF8.GetBytes(string.Join("\n", lines) + "\n");
        if (gzip)
        {
            using var output = File.Create(path);
            using var zip = new GZipStream(output, CompressionLevel.Fastest);
            zip.Write(bytes);
        }
        else
        {
            File.WriteAllBytes(path, bytes);
        }

        return path;
    }

    public void Dispose() => Directory.Delete(Root, recursive: true);
}
