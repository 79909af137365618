namespace Tracking.Aws.Retries;

/// <summary>
/// The one retry policy every retry in the pipeline uses: exponential back-off with jitter, as described in the AWS
/// Architecture Blog's "Exponential Backoff and Jitter". The delay before retry <c>n</c> (1 for the first) is drawn
/// below the ceiling <c>min(MaxDelay, BaseDelay × 2^(n − 1))</c> as <see cref="Jitter"/> says, and at most
/// <see cref="MaxAttempts"/> attempts are made (none: until it succeeds or is cancelled). Which errors are worth a
/// retry is <see cref="TransientErrors"/>' call, or the caller's for its own kinds (a serialization conflict).
/// </summary>
/// <param name="BaseDelay">The first retry's ceiling; it doubles with each further retry. Must be positive.</param>
/// <param name="MaxDelay">Cap on any one delay. At least <paramref name="BaseDelay"/>.</param>
/// <param name="Jitter">How the delay is drawn below the ceiling.</param>
/// <param name="MaxAttempts">Attempts in all, the first one included; null for no limit. At least 1.</param>
public sealed record RetryPolicy(TimeSpan BaseDelay, TimeSpan MaxDelay, Jitter Jitter, int? MaxAttempts = null)
{
    /// <summary>One attempt and no retry: for a call whose caller runs the retry loop itself.</summary>
    public static RetryPolicy SingleAttempt { get; } = new(TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(1), Jitter.None, 1);

    /// <summary>Whether attempt number <paramref name="attempt"/> (from 1) that failed may be followed by another.</summary>
    public bool AllowsRetryAfter(int attempt) => MaxAttempts is not { } max || attempt < max;

    /// <summary>The ceiling of the delay before retry number <paramref name="retry"/> (1 for the first retry).</summary>
    public TimeSpan Ceiling(int retry)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(retry, 1);

        // Past 2^30 the product overflows long ticks long before it matters: MaxDelay caps it anyway.
        var exponent = Math.Min(retry - 1, 30);
        var ceilingTicks = BaseDelay.Ticks * (double)(1L << exponent);
        return ceilingTicks >= MaxDelay.Ticks ? MaxDelay : TimeSpan.FromTicks((long)ceilingTicks);
    }

    /// <summary>The delay before retry number <paramref name="retry"/> for a <paramref name="sample"/> in [0, 1), drawn as <see cref="Jitter"/> says.</summary>
    public TimeSpan Delay(int retry, double sample)
    {
        var ceiling = Ceiling(retry);
        return Jitter switch
        {
            Jitter.Full => TimeSpan.FromTicks((long)(ceiling.Ticks * sample)),
            Jitter.Equal => (ceiling / 2) + (ceiling / 2 * sample),
            _ => ceiling,
        };
    }

    /// <summary>The delay before retry number <paramref name="retry"/>, drawn with <paramref name="random"/> (default <see cref="Random.Shared"/>).</summary>
    public TimeSpan Delay(int retry, Random? random = null) => Delay(retry, (random ?? Random.Shared).NextDouble());

    /// <summary>
    /// Runs <paramref name="operation"/> and, each time it throws what <paramref name="retryable"/> accepts while
    /// <see cref="AllowsRetryAfter"/> allows, waits the next delay on <paramref name="time"/> and runs it again. Other
    /// errors, the last attempt's error and cancellation of <paramref name="cancellationToken"/> reach the caller.
    /// </summary>
    /// <param name="operation">The call; given <paramref name="cancellationToken"/>.</param>
    /// <param name="retryable">Whether an error is worth another attempt, e.g. <see cref="TransientErrors.IsTransient(Exception)"/>.</param>
    /// <param name="onRetry">Told the attempt that failed, the delay and the error before each wait (to log it).</param>
    /// <param name="time">The clock the delays wait on.</param>
    /// <param name="cancellationToken">Ends the waits and is passed to the operation; once cancelled nothing is retried.</param>
    /// <param name="random">Draws the jitter; default <see cref="Random.Shared"/>.</param>
    public async Task<T> RunAsync<T>(
        Func<CancellationToken, Task<T>> operation,
        Func<Exception, bool> retryable,
        Action<int, TimeSpan, Exception>? onRetry,
        TimeProvider time,
        CancellationToken cancellationToken,
        Random? random = null)
    {
        ArgumentNullException.ThrowIfNull(operation);
        ArgumentNullException.ThrowIfNull(retryable);
        ArgumentNullException.ThrowIfNull(time);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await operation(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception exception) when (AllowsRetryAfter(attempt) && !cancellationToken.IsCancellationRequested && retryable(exception))
            {
                var delay = Delay(attempt, random);
                onRetry?.Invoke(attempt, delay, exception);
                await Task.Delay(delay, time, cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
