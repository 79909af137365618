namespace Tracking.Aws.Retries;

/// <summary>Exponential back-off with full jitter, as described in the AWS Architecture Blog's "Exponential Backoff and Jitter".</summary>
internal static class Backoff
{
    /// <summary>The ceiling of the delay before retry number <paramref name="retry"/> (1 for the first retry).</summary>
    public static TimeSpan Ceiling(AwsRetryOptions options, int retry)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(retry, 1);

        // Past 2^30 the product overflows long ticks long before it matters: MaxDelay caps it anyway.
        var exponent = Math.Min(retry - 1, 30);
        var ceilingTicks = options.BaseDelay.Ticks * (double)(1L << exponent);
        return ceilingTicks >= options.MaxDelay.Ticks ? options.MaxDelay : TimeSpan.FromTicks((long)ceilingTicks);
    }

    /// <summary>A delay drawn uniformly from [0, ceiling]; <paramref name="random"/> is in [0, 1).</summary>
    public static TimeSpan FullJitter(AwsRetryOptions options, int retry, double random) =>
        TimeSpan.FromTicks((long)(Ceiling(options, retry).Ticks * random));
}
