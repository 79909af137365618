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
            if (store is null)
            {
                // DynamoDb by default: its settings are checked here, as LeaseOptions checks only a store set explicitly.
                errors.AddRange(new LeaseOptions { Store = LeaseStoreKind.DynamoDb, DynamoDb = leases.Value.DynamoDb, Duration = leases.Value.Duration, ShardListInterval = leases.Value.ShardListInterval }
                    .Validate().Where(e => e.StartsWith($"{LeaseOptions.Section}:DynamoDb", StringComparison.Ordinal) || e.Contains($"{LeaseOptions.Section}:DynamoDb:", StringComparison.Ordinal)));
            }

            if (store == LeaseStoreKind.Warehouse)
            {
                errors.Add($"{LeaseOptions.Section}:Store cannot be Warehouse with the Redshift dialect: a lease renewal every few seconds per shard would be a Redshift commit each, queued behind the loads. Use Postgres or DynamoDb.");
            }
        }
        else if (store is LeaseStoreKind.Postgres or LeaseStoreKind.DynamoDb)
        {
            errors.Add($"{LeaseOptions.Section}:Store={store} is for the Redshift dialect; with PostgreSQL the leases live beside the checkpoints in the warehouse (leave Store unset or Warehouse).");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    /// <summary>The store in effect: the one set, else the dialect's default.</summary>
    public static LeaseStoreKind EffectiveStore(WarehouseDialect dialect, LeaseStoreKind? store) =>
        store ?? (dialect == WarehouseDialect.Redshift ? LeaseStoreKind.DynamoDb : LeaseStoreKind.Warehouse);
}
