namespace Tracking.Aws.Retries;

/// <summary>
/// How a client retries throttling, server (5xx) and transient network errors: exponential back-off with
/// full jitter, each delay drawn uniformly from zero to <c>min(MaxDelay, BaseDelay × 2^(retry − 1))</c>.
/// Errors in the request itself (validation, access, not found) are never retried.
/// </summary>
public sealed class AwsRetryOptions
{
    /// <summary>Default for <see cref="MaxAttempts"/>: 3, as in the AWS SDKs' <c>standard</c> retry mode.</summary>
    public const int DefaultMaxAttempts = 3;

    /// <summary>Largest accepted <see cref="MaxAttempts"/>; beyond it a caller should back off itself.</summary>
    public const int MaxAllowedAttempts = 20;

    /// <summary>Default for <see cref="BaseDelay"/>: 100 ms.</summary>
    public static readonly TimeSpan DefaultBaseDelay = TimeSpan.FromMilliseconds(100);

    /// <summary>Default for <see cref="MaxDelay"/>: 20 s, the AWS SDKs' standard-mode maximum back-off.</summary>
    public static readonly TimeSpan DefaultMaxDelay = TimeSpan.FromSeconds(20);

    /// <summary>
    /// Attempts per call including the first one; 1 disables retries. Default <see cref="DefaultMaxAttempts"/>,
    /// accepted 1 to <see cref="MaxAllowedAttempts"/>.
    /// </summary>
    public int MaxAttempts { get; set; } = DefaultMaxAttempts;

    /// <summary>Upper bound of the first retry's delay; it doubles with each further retry. Default 100 ms; must be positive.</summary>
    public TimeSpan BaseDelay { get; set; } = DefaultBaseDelay;

    /// <summary>Cap on any single delay. Default 20 s; must be at least <see cref="BaseDelay"/>.</summary>
    public TimeSpan MaxDelay { get; set; } = DefaultMaxDelay;

    /// <summary>These settings as the <see cref="RetryPolicy"/> a client runs: full jitter, at most <see cref="MaxAttempts"/>.</summary>
    public RetryPolicy ToPolicy() => new(BaseDelay, MaxDelay, Jitter.Full, MaxAttempts);

    /// <summary>Lists every broken rule, each naming its setting under <paramref name="prefix"/> (e.g. <c>Kinesis:Retry</c>).</summary>
    public IReadOnlyList<string> Validate(string prefix = "Retry")
    {
        var errors = new List<string>();
        if (MaxAttempts is < 1 or > MaxAllowedAttempts)
        {
            errors.Add($"{prefix}:MaxAttempts must be between 1 and {MaxAllowedAttempts} (got {MaxAttempts}).");
        }

        if (BaseDelay <= TimeSpan.Zero)
        {
            errors.Add($"{prefix}:BaseDelay must be positive (got {BaseDelay}).");
        }

        if (MaxDelay < BaseDelay)
        {
            errors.Add($"{prefix}:MaxDelay must be at least {prefix}:BaseDelay (got {MaxDelay} < {BaseDelay}).");
        }

        return errors;
    }
}
