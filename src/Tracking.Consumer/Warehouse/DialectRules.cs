using Microsoft.Extensions.Options;
using Tracking.Consumer.Leases;

namespace Tracking.Consumer.Warehouse;

/// <summary>The rules that join settings of several sections: which lease stores a dialect allows, and the
/// <c>Consumer:Redshift</c> settings, checked only when the dialect is Redshift.</summary>
internal sealed class DialectRules(IOptions<LeaseOptions> leases, IOptions<RedshiftOptions> redshift) : IValidateOptions<WarehouseOptions>
{
    public ValidateOptionsResult Validate(string? name, WarehouseOptions options)
    {
        var errors = new List<string>();
        var store = leases.Value.Store;
        if (options.Dialect == WarehouseDialect.Redshift)
        {
            errors.AddRange(redshift.Value.Validate());
            if (store is null && string.IsNullOrWhiteSpace(leases.Value.ConnectionString))
            {
                errors.Add($"{LeaseOptions.Section}:ConnectionString is required with the Redshift dialect: the Npgsql connection string of the PostgreSQL database that keeps the leases ({LeaseOptions.Section}:Store=Postgres).");
            }

            if (store == LeaseStoreKind.Warehouse)
            {
                errors.Add($"{LeaseOptions.Section}:Store cannot be Warehouse with the Redshift dialect: a lease renewal every few seconds per shard would be a Redshift commit each, queued behind the loads. Use Postgres.");
            }
        }
        else if (store == LeaseStoreKind.Postgres)
        {
            errors.Add($"{LeaseOptions.Section}:Store=Postgres is for the Redshift dialect; with PostgreSQL the leases live beside the checkpoints in the warehouse (leave Store unset or Warehouse).");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    /// <summary>The store in effect: the one set, else the dialect's default.</summary>
    public static LeaseStoreKind EffectiveStore(WarehouseDialect dialect, LeaseStoreKind? store) =>
        store ?? (dialect == WarehouseDialect.Redshift ? LeaseStoreKind.Postgres : LeaseStoreKind.Warehouse);
}
