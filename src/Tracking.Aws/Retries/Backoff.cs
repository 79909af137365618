namespace Tracking.Aws.Retries;

/// <summary>
/// Exponential back-off with jitter, as described in the AWS Architecture Blog's "Exponential Backoff
/// and Jitter": the one policy every retry in the pipeline uses. The AWS client draws full jitter (any
/// delay up to the ceiling); the API's deliveries and monitors draw equal jitter (at least half the
/// ceiling, so a failing sink is not hammered).
/// </summary>
public static class Backoff
{
    /// <summary>The ceiling of the delay before retry number <paramref name="retry"/> (1 for the first retry): base × 2^(retry−1), at most <paramref name="maxDelay"/>.</summary>
    public static TimeSpan Ceiling(TimeSpan baseDelay, TimeSpan maxDelay, int retry)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(retry, 1);

        // Past 2^30 the product overflows long ticks long before it matters: maxDelay caps it anyway.
        var exponent = Math.Min(retry - 1, 30);
        var ceilingTicks = baseDelay.Ticks * (double)(1L << exponent);
        return ceilingTicks >= maxDelay.Ticks ? maxDelay : TimeSpan.FromTicks((long)ceilingTicks);
    }

    /// <summary>A delay drawn uniformly from [0, ceiling]; <paramref name="random"/> is in [0, 1).</summary>
    public static TimeSpan FullJitter(TimeSpan baseDelay, TimeSpan maxDelay, int retry, double random) =>
        TimeSpan.FromTicks((long)(Ceiling(baseDelay, maxDelay, retry).Ticks * random));

    /// <summary>A delay drawn uniformly from [ceiling / 2, ceiling]; <paramref name="random"/> is in [0, 1).</summary>
    public static TimeSpan EqualJitter(TimeSpan baseDelay, TimeSpan maxDelay, int retry, double random)
    {
        var half = Ceiling(baseDelay, maxDelay, retry) / 2;
        return half + half * random;
    }

    internal static TimeSpan Ceiling(AwsRetryOptions options, int retry) => Ceiling(options.BaseDelay, options.MaxDelay, retry);

    internal static TimeSpan FullJitter(AwsRetryOptions options, int retry, double random) => FullJitter(options.BaseDelay, options.MaxDelay, retry, random);
}
