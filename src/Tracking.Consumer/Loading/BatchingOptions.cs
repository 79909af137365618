using Tracking.Aws.Kinesis;

namespace Tracking.Consumer.Loading;

/// <summary>When a shard's rows are loaded, bound from <c>Consumer:Batching</c>: whichever threshold is reached first.</summary>
public sealed class BatchingOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Consumer:Batching";

    /// <summary>Rows per load. Default 10,000 (one full <c>GetRecords</c> answer); 1 to 10,000.</summary>
    public int MaxRows { get; set; } = KinesisLimits.MaxRecordsPerGetRecords;

    /// <summary>Bytes of record data per load. Default 8 MiB; 1 KiB to 256 MiB.</summary>
    public int MaxBytes { get; set; } = 8 * 1024 * 1024;

    /// <summary>How long the first row of a batch may wait for more. Default 1 s; 10 ms to 1 minute.</summary>
    public TimeSpan Linger { get; set; } = TimeSpan.FromSeconds(1);

    internal IEnumerable<string> Validate()
    {
        if (MaxRows is < 1 or > KinesisLimits.MaxRecordsPerGetRecords)
        {
            yield return $"{Section}:MaxRows must be between 1 and {KinesisLimits.MaxRecordsPerGetRecords}, the most one GetRecords call returns (got {MaxRows}).";
        }

        if (MaxBytes is < 1024 or > 256 * 1024 * 1024)
        {
            yield return $"{Section}:MaxBytes must be between 1024 and {256 * 1024 * 1024} (got {MaxBytes}).";
        }

        if (Linger < TimeSpan.FromMilliseconds(10) || Linger > TimeSpan.FromMinutes(1))
        {
            yield return $"{Section}:Linger must be between 00:00:00.010 and 00:01:00 (got {Linger}).";
        }
    }
}
