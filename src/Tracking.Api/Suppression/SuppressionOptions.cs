using Tracking.ServiceDefaults;

namespace Tracking.Api.Suppression;

/// <summary>Where the list of suppressed users lives and how often it is read again. Bound to <c>Tracking:Suppression</c>.</summary>
internal sealed class SuppressionOptions : IValidatedOptions
{
    public const string Section = "Tracking:Suppression";

    /// <summary>
    /// The list's file (JSON), replaced whole on each change by an atomic rename. Default <c>./data/suppressions.json</c>,
    /// a relative path taken from the content root. Several instances share one list by pointing this at one file on
    /// shared storage (NFS, EFS) with <see cref="ReloadInterval"/> above zero.
    /// </summary>
    public string Path { get; set; } = "./data/suppressions.json";

    /// <summary>
    /// How often the file is checked for changes another instance (or an operator) made; zero never checks, for a
    /// single instance. Default 5 seconds. At most 1 hour.
    /// </summary>
    public TimeSpan ReloadInterval { get; set; } = TimeSpan.FromSeconds(5);

    public IEnumerable<string> Validate()
    {
        if (string.IsNullOrWhiteSpace(Path))
        {
            yield return $"{Section}:Path must name a file.";
        }

        if (ReloadInterval < TimeSpan.Zero || ReloadInterval > TimeSpan.FromHours(1))
        {
            yield return $"{Section}:ReloadInterval must be between 00:00:00 (never) and 01:00:00; it is {ReloadInterval}.";
        }
    }
}
