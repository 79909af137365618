using Npgsql;
using Tracking.ServiceDefaults;

namespace Tracking.Consumer.Warehouse;

/// <summary>The database the events are loaded into.</summary>
public enum WarehouseDialect
{
    /// <summary>PostgreSQL: binary COPY into a staging table, then insert-if-absent.</summary>
    Postgres,

    /// <summary>Amazon Redshift: batches staged on S3 and loaded by <c>COPY</c> (small ones by multi-row INSERT), deduplicated
    /// against <c>events</c> within a window, with the fenced checkpoint in the same transaction. Settings in <c>Consumer:Redshift</c>.</summary>
    Redshift,
}

/// <summary>The warehouse, bound from <c>Consumer:Warehouse</c>. It also holds the leases and checkpoints.</summary>
public sealed class WarehouseOptions : IValidatedOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Consumer:Warehouse";

    /// <summary>The database kind. Default <see cref="WarehouseDialect.Postgres"/>.</summary>
    public WarehouseDialect Dialect { get; set; } = WarehouseDialect.Postgres;

    /// <summary>An Npgsql connection string, e.g. <c>Host=localhost;Database=tracking;Username=tracking;Password=…</c>
    /// (for Redshift, the cluster's endpoint, port 5439, and <c>SSL Mode=Require</c>). Required.</summary>
    public string? ConnectionString { get; set; }

    /// <inheritdoc/>
    public IEnumerable<string> Validate()
    {
        if (string.IsNullOrWhiteSpace(ConnectionString))
        {
            yield return $"{Section}:ConnectionString is required: the Npgsql connection string of the warehouse database.";
            yield break;
        }

        string? error = null;
        try
        {
            _ = new NpgsqlConnectionStringBuilder(ConnectionString);
        }
        catch (ArgumentException exception)
        {
            error = $"{Section}:ConnectionString is not a valid connection string: {exception.Message}";
        }

        if (error is not null)
        {
            yield return error;
        }
    }
}
