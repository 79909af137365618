using Tracking.ServiceDefaults;

namespace Tracking.Api.Spool;

/// <summary>The write-ahead spool between the endpoints and the batcher. Bound to <c>Tracking:Spool</c>.</summary>
internal sealed class SpoolOptions : IValidatedOptions
{
    public const string Section = "Tracking:Spool";

    /// <summary>Where the spool's segment files live. Default <c>./data/spool</c>, a relative folder taken from the content root.</summary>
    public string Directory { get; set; } = "./data/spool";

    /// <summary>What a 200 promises. Default <see cref="Durability.Fsync"/>.</summary>
    public Durability Durability { get; set; } = Durability.Fsync;

    /// <summary>Most bytes the spool may hold on disk; past it (or when the disk is full) the API answers 503. Default 1 GiB.</summary>
    public long MaxBytes { get; set; } = 1L << 30;

    /// <summary>A segment file is closed and a new one started at this size; a segment is deleted once all its events are acknowledged. Default 64 MiB.</summary>
    public long SegmentBytes { get; set; } = 64L << 20;

    public IEnumerable<string> Validate()
    {
        if (string.IsNullOrWhiteSpace(Directory))
        {
            yield return $"{Section}:Directory must name a folder.";
        }

        if (MaxBytes < 1L << 20)
        {
            yield return $"{Section}:MaxBytes must be at least 1048576 (1 MiB); it is {MaxBytes}.";
        }

        if (SegmentBytes < 64 * 1024 || SegmentBytes > MaxBytes)
        {
            yield return $"{Section}:SegmentBytes must be at least 65536 and at most {Section}:MaxBytes ({MaxBytes}); it is {SegmentBytes}.";
        }
    }
}
