using Amazon.S3;
using Npgsql;
using Tracking.Aws.Retries;

namespace Tracking.Consumer.Loading;

/// <summary>
/// Tells a warehouse that is unavailable from data it refuses, and runs a load again while it is unavailable. An
/// unavailable warehouse is never a reason to dead-letter anything: once it is back, every record loads.
/// </summary>
internal static class WarehouseFailures
{
    /// <summary>Attempts of one load while the warehouse is unavailable; after the last, the error goes to the shard's loop.</summary>
    internal const int MaxAttempts = 5;

    /// <summary>The first back-off's ceiling; each further one doubles, up to <see cref="MaxDelay"/>.</summary>
    internal static readonly TimeSpan BaseDelay = TimeSpan.FromSeconds(1);

    /// <summary>The longest back-off between two attempts.</summary>
    internal static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Whether <paramref name="exception"/> says the warehouse (or the S3 bucket it loads from) cannot be reached or
    /// cannot work right now, rather than anything about the rows: a lost or refused connection (SQLSTATE class 08),
    /// insufficient resources (53), an operator intervention such as a shutdown or restart (57P), a statement or
    /// network timeout, and whatever else Npgsql marks transient; S3's 5xx and throttling answers.
    /// </summary>
    public static bool IsUnavailable(Exception exception) => exception switch
    {
        PostgresException postgres => postgres.IsTransient
            || postgres.SqlState.StartsWith("08", StringComparison.Ordinal)
            || postgres.SqlState.StartsWith("53", StringComparison.Ordinal)
            || postgres.SqlState.StartsWith("57P", StringComparison.Ordinal)
            || postgres.SqlState == PostgresErrorCodes.QueryCanceled,
        NpgsqlException npgsql => npgsql.IsTransient || npgsql.InnerException is IOException or TimeoutException or System.Net.Sockets.SocketException,
        AmazonS3Exception s3 => (int)s3.StatusCode >= 500 || s3.ErrorCode is "SlowDown" or "RequestTimeout",
        TimeoutException or IOException or System.Net.Sockets.SocketException or HttpRequestException => true,
        _ => false,
    };

    /// <summary>Runs <paramref name="load"/>, and again after an equal-jitter back-off (<see cref="Backoff"/>) each time
    /// it fails because the warehouse is unavailable, at most <see cref="MaxAttempts"/> times in all.</summary>
    public static async Task<T> RetryAsync<T>(
        Func<CancellationToken, Task<T>> load,
        TimeProvider timeProvider,
        Action<int, TimeSpan, Exception> onRetry,
        CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await load(cancellationToken);
            }
            catch (Exception exception) when (attempt < MaxAttempts && !cancellationToken.IsCancellationRequested && IsUnavailable(exception))
            {
                var delay = Backoff.EqualJitter(BaseDelay, MaxDelay, attempt, Random.Shared.NextDouble());
                onRetry(attempt, delay, exception);
                await Task.Delay(delay, timeProvider, cancellationToken);
            }
        }
    }
}
