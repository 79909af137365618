using Tracking.Aws.Kinesis;
using Tracking.ServiceDefaults;

namespace Tracking.Consumer.Loading;

/// <summary>
/// When a shard's rows are loaded, bound from <c>Consumer:Batching</c>: whichever threshold is reached first. The
/// defaults depend on the dialect: PostgreSQL takes small frequent loads well; Redshift favours few large ones (each
/// commit queues on the cluster), so for it every setting left unset defaults to <see cref="RedshiftMaxRows"/>,
/// <see cref="RedshiftMaxBytes"/> and <see cref="RedshiftLinger"/>: about one load per shard per minute or 64 MiB.
/// </summary>
public sealed class BatchingOptions : IValidatedOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Consumer:Batching";

    /// <summary>The Redshift default of <see cref="MaxRows"/>: 100,000, more than a shard takes in a minute (1,000 records/s), so time or bytes decide.</summary>
    public const int RedshiftMaxRows = 100_000;

    /// <summary>The Redshift default of <see cref="MaxBytes"/>: 64 MiB.</summary>
    public const int RedshiftMaxBytes = 64 * 1024 * 1024;

    /// <summary>The Redshift default of <see cref="Linger"/>: 1 minute.</summary>
    public static readonly TimeSpan RedshiftLinger = TimeSpan.FromMinutes(1);

    /// <summary>The most rows a load may be set to hold.</summary>
    internal const int MaxMaxRows = 1_000_000;

    /// <summary>Rows per load. Default 10,000 (one full <c>GetRecords</c> answer; Redshift: <see cref="RedshiftMaxRows"/>); 1 to 1,000,000.
    /// Reads ask for at most 10,000 records, the <c>GetRecords</c> limit, whatever this is.</summary>
    public int MaxRows { get; set; } = KinesisLimits.MaxRecordsPerGetRecords;

    /// <summary>Bytes of record data per load. Default 8 MiB (Redshift: 64 MiB); 1 KiB to 256 MiB.</summary>
    public int MaxBytes { get; set; } = 8 * 1024 * 1024;

    /// <summary>How long the first row of a batch may wait for more. Default 1 s (Redshift: 1 minute); 10 ms to 1 minute.</summary>
    public TimeSpan Linger { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Applies the Redshift defaults to the settings <paramref name="batching"/> (the bound section) leaves unset.</summary>
    internal void ApplyRedshiftDefaults(IConfiguration batching)
    {
        if (batching[nameof(MaxRows)] is null)
        {
            MaxRows = RedshiftMaxRows;
        }

        if (batching[nameof(MaxBytes)] is null)
        {
            MaxBytes = RedshiftMaxBytes;
        }

        if (batching[nameof(Linger)] is null)
        {
            Linger = RedshiftLinger;
        }
    }

    /// <inheritdoc/>
    public IEnumerable<string> Validate()
    {
        if (MaxRows is < 1 or > MaxMaxRows)
        {
            yield return $"{Section}:MaxRows must be between 1 and {MaxMaxRows} (got {MaxRows}).";
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
