namespace Tracking.Aws.Retries;

/// <summary>How a <see cref="RetryPolicy"/> spreads its delays below the exponential ceiling.</summary>
public enum Jitter
{
    /// <summary>Exactly the ceiling: for a lone caller whose retries cannot fall in step with anyone else's.</summary>
    None,

    /// <summary>Uniform in [0, ceiling]: the AWS SDKs' choice for one call's quick retries, spreading many callers most.</summary>
    Full,

    /// <summary>Uniform in [ceiling / 2, ceiling]: never less than half the ceiling, so a failing service is not hammered
    /// while callers still drift apart.</summary>
    Equal,
}
