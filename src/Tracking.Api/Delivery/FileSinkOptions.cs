using Tracking.ServiceDefaults;

namespace Tracking.Api.Delivery;

/// <summary>The local NDJSON file sink, the embedded default. Bound to <c>Tracking:File</c>.</summary>
internal sealed class FileSinkOptions : IValidatedOptions
{
    public const string Section = "Tracking:File";

    /// <summary>
    /// Where complete files appear, as <c>yyyy/MM/dd/HH/events-…ndjson</c> (UTC, the layout Firehose
    /// writes to S3). Files being written live in its <c>.inprogress</c> folder. Default <c>./data/outbox</c>;
    /// a relative folder is taken from the content root (the folder of Tracking.Api.dll, or the project folder under
    /// <c>dotnet run</c>), never from the working directory.
    /// </summary>
    public string Directory { get; set; } = "./data/outbox";

    /// <summary>A file is completed once it reaches this size. Default 64 MiB.</summary>
    public long MaxFileBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>A file is completed this long after it was opened, even if small or idle. Default 1 minute.</summary>
    public TimeSpan MaxFileAge { get; set; } = TimeSpan.FromMinutes(1);

    public IEnumerable<string> Validate()
    {
        if (string.IsNullOrWhiteSpace(Directory))
        {
            yield return $"{Section}:Directory must name a folder.";
        }

        if (MaxFileBytes < 1024)
        {
            yield return $"{Section}:MaxFileBytes must be at least 1024; it is {MaxFileBytes}.";
        }

        if (MaxFileAge < TimeSpan.FromMilliseconds(10))
        {
            yield return $"{Section}:MaxFileAge must be at least 10 ms; it is {MaxFileAge}.";
        }
    }
}
