using Amazon.S3;
using Microsoft.Extensions.Options;
using Npgsql;
using Tracking.Aws;
using Tracking.Consumer.Leases;
using Tracking.Consumer.Loading;
using Tracking.Consumer.Warehouse;

namespace Tracking.Consumer;

/// <summary>Registers the warehouse for the configured dialect: its data source, schema, loader, checkpoints and, for Redshift, the S3 staging.</summary>
internal static class WarehouseSetup
{
    /// <summary>The warehouse database: its schema and migrations, the loader, checkpoints and dead letters, for the
    /// configured dialect; for Redshift also the S3 staging client.</summary>
    public static WebApplicationBuilder AddWarehouse(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<WarehouseOptions>>().Value;
            var connection = LeaseConnections.WithKeepalives(
                new NpgsqlConnectionStringBuilder(options.ConnectionString)
                {
                    // The staging table lives on the pooled connection; resetting it on close would drop it every load.
                    NoResetOnClose = true,
                },
                serverKeepalives: options.Dialect == WarehouseDialect.Postgres);
            var dataSource = new NpgsqlDataSourceBuilder(connection.ConnectionString);
            if (options.Dialect == WarehouseDialect.Redshift)
            {
                // Redshift's catalog lacks much of what Npgsql's type loading queries; the built-in types are all we bind.
                dataSource.ConfigureTypeLoading(t => t.EnableTypeLoading(false));
            }

            return dataSource.Build();
        });
        builder.Services.AddSingleton<RedshiftSql>(_ => new RedshiftSql());
        builder.Services.AddSingleton(sp => PlanViewSync.From(
            sp.GetRequiredService<IOptions<PlanViewOptions>>().Value,
            sp.GetRequiredService<IHostEnvironment>(),
            redshift: sp.GetRequiredService<IOptions<WarehouseOptions>>().Value.Dialect == WarehouseDialect.Redshift,
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<PlanViewSync>>()));
        builder.Services.AddSingleton<IWarehouseSchema>(sp => sp.GetRequiredService<IOptions<WarehouseOptions>>().Value.Dialect == WarehouseDialect.Redshift
            ? ActivatorUtilities.CreateInstance<RedshiftSchema>(sp)
            : ActivatorUtilities.CreateInstance<PostgresSchema>(sp));
        builder.Services.AddSingleton<IWarehouseLoader>(sp => sp.GetRequiredService<IOptions<WarehouseOptions>>().Value.Dialect == WarehouseDialect.Redshift
            ? ActivatorUtilities.CreateInstance<RedshiftLoader>(sp)
            : ActivatorUtilities.CreateInstance<PostgresLoader>(sp));
        builder.Services.AddSingleton<RedshiftCheckpoints>();
        builder.Services.AddSingleton<S3Staging>();
        builder.Services.AddSingleton<IRedshiftCopy, RedshiftCopy>();
        builder.Services.AddSingleton<IAmazonS3>(sp => S3Clients.Create(sp.GetRequiredService<IOptions<RedshiftOptions>>().Value.S3, credentials: null));
        return builder;
    }
}
