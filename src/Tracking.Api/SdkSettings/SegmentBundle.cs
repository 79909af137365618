using System.Text.RegularExpressions;

namespace Tracking.Api.SdkSettings;

/// <summary>
/// analytics.js 2.0's standalone build and the chunks it loads, as the pinned npm package
/// <c>@segment/analytics-next</c> ships them (installed from <c>src/Tracking.Api/sdk-assets</c> by the build and copied
/// next to the app into <c>segment-bundle/</c>; never kept in the repository). Serving them lets Segment's stock snippet
/// run with only its script host changed: the script finds its CDN in its own URL and fetches settings and chunks from
/// there. A build without npm has no bundle; the snippet's script is then a 404 saying so, and the settings endpoint
/// works all the same for pages that load analytics.js their own way.
/// </summary>
internal sealed partial class SegmentBundle
{
    /// <summary>The folder, beside the app's dll, that the build copies the package's files into.</summary>
    public const string FolderName = "segment-bundle";

    /// <summary>The standalone build the stock snippet loads as <c>analytics.min.js</c>.</summary>
    public const string StandaloneFile = "standalone.js";

    private readonly Dictionary<string, string> _files;

    public SegmentBundle(ILogger<SegmentBundle> logger)
        : this(Path.Combine(AppContext.BaseDirectory, FolderName), logger)
    {
    }

    internal SegmentBundle(string folder, ILogger<SegmentBundle> logger)
    {
        Folder = folder;
        _files = Directory.Exists(folder)
            ? Directory.EnumerateFiles(folder, "*.js").ToDictionary(f => Path.GetFileName(f), f => f, StringComparer.Ordinal)
            : [];
        if (!IsInstalled)
        {
            LogMissing(logger, folder);
        }
    }

    /// <summary>Where the files are looked for.</summary>
    public string Folder { get; }

    /// <summary>Whether the standalone build is there.</summary>
    public bool IsInstalled => _files.ContainsKey(StandaloneFile);

    /// <summary>The full path of a chunk or of the standalone build, or <see langword="null"/> for any other name.</summary>
    public string? PathOf(string fileName) =>
        ChunkName().IsMatch(fileName) && _files.TryGetValue(fileName, out var path) ? path : null;

    [GeneratedRegex(@"\A[A-Za-z0-9][A-Za-z0-9._-]{0,127}\.js\z")]
    private static partial Regex ChunkName();

    [LoggerMessage(Level = LogLevel.Information, Message = "analytics.js 2.0's bundle is not installed ({Folder} has no standalone.js; the build installs it with npm): Segment's stock snippet cannot load from this host, the settings endpoints work")]
    private static partial void LogMissing(ILogger logger, string folder);
}
