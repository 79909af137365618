using Npgsql;
using Tracking.Aws.Retries;

namespace Tracking.Consumer.Loading;

/// <summary>
/// Tells a warehouse that is unavailable from data it refuses, and runs a load again while it is unavailable. An
/// unavailable warehouse is never a reason to dead-letter anything: once it is back, every record loads.
/// </summary>
internal static class WarehouseFailures
{
    /// <summary>Attempts of one load while the warehouse is unavailable: 5 in all, after equal-jitter back-offs from 1 s
    /// doubling to at most 10 s; after the last, the error goes to the shard's loop (<see cref="Health.ShardHealth.Retries"/>).</summary>
    internal static readonly RetryPolicy Retries = new(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10), Jitter.Equal, MaxAttempts: 5);

    /// <summary>
    /// Whether <paramref name="exception"/> says the warehouse (or the S3 bucket it loads from) cannot be reached or
    /// cannot work right now, rather than anything about the rows: a lost or refused connection (SQLSTATE class 08),
    /// insufficient resources (53), an operator intervention such as a shutdown or restart (57P), a statement or
    /// network timeout, and whatever else Npgsql marks transient; and what <see cref="TransientErrors"/> calls transient
    /// for every AWS call (S3's 5xx and throttling answers, a refused or lost connection, a timeout).
    /// </summary>
    public static bool IsUnavailable(Exception exception) => exception switch
    {
        PostgresException postgres => postgres.IsTransient
            || postgres.SqlState.StartsWith("08", StringComparison.Ordinal)
            || postgres.SqlState.StartsWith("53", StringComparison.Ordinal)
            || postgres.SqlState.StartsWith("57P", StringComparison.Ordinal)
            || postgres.SqlState == PostgresErrorCodes.QueryCanceled,
        NpgsqlException npgsql => npgsql.IsTransient || npgsql.InnerException is IOException or TimeoutException or System.Net.Sockets.SocketException,
        _ => TransientErrors.IsTransient(exception),
    };

    /// <summary>Runs <paramref name="load"/>, and again after each failure because the warehouse is unavailable, as
    /// <see cref="Retries"/> says.</summary>
    public static Task<T> RetryAsync<T>(
        Func<CancellationToken, Task<T>> load,
        TimeProvider timeProvider,
        Action<int, TimeSpan, Exception> onRetry,
        CancellationToken cancellationToken) =>
        Retries.RunAsync(load, IsUnavailable, onRetry, timeProvider, cancellationToken);
}
