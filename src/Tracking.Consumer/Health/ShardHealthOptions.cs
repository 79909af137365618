using Tracking.ServiceDefaults;

namespace Tracking.Consumer.Health;

/// <summary>When a shard counts as stuck, bound from <c>Consumer:Health</c>.</summary>
public sealed class ShardHealthOptions : IValidatedOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Consumer:Health";

    /// <summary>How long a held shard may go without a commit while records wait (read and not loaded, or
    /// <c>MillisBehindLatest</c> above zero) before readiness reports it. Default 5 minutes; 1 s to 1 day. With the
    /// Redshift dialect keep it well above <c>Consumer:Batching:Linger</c>.</summary>
    public TimeSpan StuckAfter { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Failed attempts in a row, without a commit between them, after which readiness reports the shard.
    /// Default 3; 1 to 1,000.</summary>
    public int FailuresBeforeUnready { get; set; } = 3;

    /// <inheritdoc/>
    public IEnumerable<string> Validate()
    {
        if (StuckAfter < TimeSpan.FromSeconds(1) || StuckAfter > TimeSpan.FromDays(1))
        {
            yield return $"{Section}:StuckAfter must be between 00:00:01 and 1.00:00:00 (got {StuckAfter}).";
        }

        if (FailuresBeforeUnready is < 1 or > 1000)
        {
            yield return $"{Section}:FailuresBeforeUnready must be between 1 and 1000 (got {FailuresBeforeUnready}).";
        }
    }
}
