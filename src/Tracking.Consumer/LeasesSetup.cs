using Microsoft.Extensions.Options;
using Npgsql;
using Tracking.Consumer.Leases;
using Tracking.Consumer.Shards;
using Tracking.Consumer.Warehouse;

namespace Tracking.Consumer;

/// <summary>Registers how workers share the shards: the lease store and the coordinator.</summary>
internal static class LeasesSetup
{
    /// <summary>The service key of the lease database's data source (<c>Consumer:Leases:Store=Postgres</c>).</summary>
    internal const string LeaseDatabase = "leases";

    /// <summary>The service key of the data source of lease statements on the warehouse (<c>Consumer:Leases:Store=Warehouse</c>).</summary>
    private const string WarehouseLeases = "warehouse-leases";

    /// <summary>The lease store the dialect and <c>Consumer:Leases:Store</c> choose, and the coordinator that renews, takes and balances leases.</summary>
    public static WebApplicationBuilder AddLeases(this WebApplicationBuilder builder)
    {
        builder.Services.AddKeyedSingleton(LeaseDatabase, (sp, _) =>
        {
            var options = sp.GetRequiredService<IOptions<LeaseOptions>>().Value;
            return new NpgsqlDataSourceBuilder(LeaseConnections.ForLeaseStatements(options.ConnectionString, options.RenewInterval)).Build();
        });
        builder.Services.AddKeyedSingleton(WarehouseLeases, (sp, _) =>
            new NpgsqlDataSourceBuilder(LeaseConnections.ForLeaseStatements(
                sp.GetRequiredService<IOptions<WarehouseOptions>>().Value.ConnectionString,
                sp.GetRequiredService<IOptions<LeaseOptions>>().Value.RenewInterval)).Build());
        builder.Services.AddSingleton<ILeaseStore>(sp =>
        {
            var dialect = sp.GetRequiredService<IOptions<WarehouseOptions>>().Value.Dialect;
            var store = DialectRules.EffectiveStore(dialect, sp.GetRequiredService<IOptions<LeaseOptions>>().Value.Store);
            if (store == LeaseStoreKind.Warehouse)
            {
                return new PostgresLeaseStore(sp.GetRequiredKeyedService<NpgsqlDataSource>(WarehouseLeases));
            }

            ILeaseStore leases = store == LeaseStoreKind.DynamoDb
                ? sp.GetRequiredService<DynamoDbLeaseStore>()
                : new PostgresLeaseStore(sp.GetRequiredKeyedService<NpgsqlDataSource>(LeaseDatabase));
            return dialect == WarehouseDialect.Redshift
                ? new RedshiftLeaseStore(leases, sp.GetRequiredService<RedshiftCheckpoints>())
                : leases;
        });
        builder.Services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<LeaseOptions>>().Value.DynamoDb;
            return new DynamoDbLeaseStore(DynamoDbLeaseStore.CreateClient(options, credentials: null), options.TableName, sp.GetRequiredService<TimeProvider>());
        });
        builder.Services.AddHostedService<LeaseCoordinator>();
        return builder;
    }
}
