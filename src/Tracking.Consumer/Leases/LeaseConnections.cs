using System.Globalization;
using Npgsql;

namespace Tracking.Consumer.Leases;

/// <summary>
/// The connection settings that keep a lease statement from waiting on anything: TCP keepalives on both ends, so a
/// dead peer is noticed in about a minute rather than the two hours of the operating system's default, and on the
/// lease statements' own connections a short <c>lock_timeout</c> and a <c>statement_timeout</c>, so a row locked by
/// a commit in progress or a stuck server costs one round, not the lease.
/// </summary>
internal static class LeaseConnections
{
    /// <summary>Idle seconds before the first TCP keepalive probe.</summary>
    internal const int KeepaliveIdleSeconds = 30;

    /// <summary>Seconds between probes; three unanswered probes end the connection.</summary>
    internal const int KeepaliveIntervalSeconds = 10;

    /// <summary>How long a lease statement waits for a row lock before it gives up for this round.</summary>
    internal static readonly TimeSpan LockTimeout = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// Adds client-side TCP keepalives and, with <paramref name="serverKeepalives"/> (PostgreSQL, not Redshift, which
    /// takes no startup options), the server's own: a consumer cut off by a partition then loses its session, and the
    /// locks its open load transaction holds, after about a minute. Settings already in the string win.
    /// </summary>
    public static NpgsqlConnectionStringBuilder WithKeepalives(NpgsqlConnectionStringBuilder builder, bool serverKeepalives)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (!builder.TcpKeepAlive && builder.TcpKeepAliveTime == 0)
        {
            builder.TcpKeepAlive = true;
            builder.TcpKeepAliveTime = KeepaliveIdleSeconds;
            builder.TcpKeepAliveInterval = KeepaliveIntervalSeconds;
        }

        if (serverKeepalives)
        {
            AddOption(builder, "tcp_keepalives_idle", KeepaliveIdleSeconds.ToString(CultureInfo.InvariantCulture));
            AddOption(builder, "tcp_keepalives_interval", KeepaliveIntervalSeconds.ToString(CultureInfo.InvariantCulture));
            AddOption(builder, "tcp_keepalives_count", "3");
        }

        return builder;
    }

    /// <summary>The connection string of lease statements on a PostgreSQL database: keepalives, and
    /// <see cref="LockTimeout"/> and <paramref name="statementTimeout"/> as the session's defaults.</summary>
    public static string ForLeaseStatements(string? connectionString, TimeSpan statementTimeout)
    {
        var builder = WithKeepalives(new NpgsqlConnectionStringBuilder(connectionString), serverKeepalives: true);
        AddOption(builder, "lock_timeout", Milliseconds(LockTimeout));
        AddOption(builder, "statement_timeout", Milliseconds(statementTimeout));

        // The warehouse's pool keeps its staging tables; this one must not share connections with it.
        builder.ApplicationName = string.IsNullOrEmpty(builder.ApplicationName) ? "tracking-consumer-leases" : $"{builder.ApplicationName}-leases";
        return builder.ConnectionString;
    }

    private static string Milliseconds(TimeSpan value) => Math.Max(1, (long)value.TotalMilliseconds).ToString(CultureInfo.InvariantCulture);

    /// <summary>Appends <c>-c name=value</c> to the startup options unless the setting is there already.</summary>
    private static void AddOption(NpgsqlConnectionStringBuilder builder, string name, string value)
    {
        var options = builder.Options ?? string.Empty;
        if (options.Contains(name, StringComparison.OrdinalIgnoreCase))
        {
            return;
        }

        builder.Options = $"{options} -c {name}={value}".Trim();
    }
}
