using Amazon.S3;
using Microsoft.Extensions.Options;
using Npgsql;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Tracking.Aws;
using Tracking.Aws.Kinesis;
using Tracking.Aws.Retries;
using Tracking.Consumer.Health;
using Tracking.Consumer.Leases;
using Tracking.Consumer.Loading;
using Tracking.Consumer.Shards;
using Tracking.Consumer.Telemetry;
using Tracking.Consumer.Warehouse;
using Tracking.ServiceDefaults;

namespace Tracking.Consumer;

/// <summary>The consumer's parts, each registered by one method that <c>Program.cs</c> lists.</summary>
internal static class Hosting
{
    /// <summary>The service key of the lease database's data source (<c>Consumer:Leases:Store=Postgres</c>).</summary>
    internal const string LeaseDatabase = "leases";

    /// <summary>The service key of the data source of lease statements on the warehouse (<c>Consumer:Leases:Store=Warehouse</c>).</summary>
    private const string WarehouseLeases = "warehouse-leases";

    /// <summary>The name of the <see cref="HttpClient"/> the Kinesis clients sign requests onto.</summary>
    private const string KinesisHttpClient = "Tracking.Consumer.Kinesis";

    /// <summary>Settings validated at start: every broken rule is reported together, naming its setting.</summary>
    public static WebApplicationBuilder AddConsumerOptions(this WebApplicationBuilder builder)
    {
        Validated<StreamOptions>(builder.Services, StreamOptions.Section, o => o.Validate());
        builder.Services.AddOptions<StreamOptions>().UseDefaultRegion(o => o);
        Validated<WarehouseOptions>(builder.Services, WarehouseOptions.Section, o => o.Validate());
        builder.Services.AddSingleton<IValidateOptions<WarehouseOptions>, DialectRules>();
        builder.Services.AddOptions<RedshiftOptions>().BindConfiguration(RedshiftOptions.Section).UseDefaultRegion(o => o.S3 ??= new AwsClientSettings());
        Validated<BatchingOptions>(builder.Services, BatchingOptions.Section, o => o.Validate());
        builder.Services.AddOptions<BatchingOptions>().PostConfigure<IConfiguration>((o, configuration) =>
        {
            if (Enum.TryParse<WarehouseDialect>(configuration[$"{WarehouseOptions.Section}:{nameof(WarehouseOptions.Dialect)}"], ignoreCase: true, out var dialect)
                && dialect == WarehouseDialect.Redshift)
            {
                o.ApplyRedshiftDefaults(configuration.GetSection(BatchingOptions.Section));
            }
        });
        Validated<LeaseOptions>(builder.Services, LeaseOptions.Section, o => o.Validate());
        builder.Services.AddOptions<LeaseOptions>().UseDefaultRegion(o => o.DynamoDb ??= new DynamoDbLeaseOptions());
        Validated<WorkerOptions>(builder.Services, WorkerOptions.Section, o => o.Validate());
        Validated<OperationsOptions>(builder.Services, OperationsOptions.Section, o => o.Validate());
        Validated<ShardHealthOptions>(builder.Services, ShardHealthOptions.Section, o => o.Validate());

        // Only this port serves HTTP: ASPNETCORE_URLS and the generic Urls setting do not apply to the consumer.
        var urls = builder.Configuration[$"{HttpOptions.Section}:{nameof(HttpOptions.Urls)}"] ?? HttpOptions.DefaultUrls;
        builder.WebHost.UseUrls(urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        return builder;
    }

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

    /// <summary>The Kinesis client, shard discovery and the per-shard read and load loop.</summary>
    public static WebApplicationBuilder AddShardReading(this WebApplicationBuilder builder)
    {
        builder.Services.AddAwsHttpClient<StreamOptions>(KinesisHttpClient, o => o.RequestTimeout);
        builder.Services.AddSingleton<IKinesisClient>(sp => new KinesisClient(
            sp.GetRequiredService<IHttpClientFactory>().CreateClient(KinesisHttpClient),
            sp.GetRequiredService<IOptions<StreamOptions>>().Value,
            credentials: null,
            sp.GetRequiredService<TimeProvider>()));
        builder.Services.AddKeyedSingleton<IKinesisClient>(ShardProcessor.ReadingClient, (sp, _) => new KinesisClient(
            sp.GetRequiredService<IHttpClientFactory>().CreateClient(KinesisHttpClient),
            sp.GetRequiredService<IOptions<StreamOptions>>().Value.WithRetry(new AwsRetryOptions { MaxAttempts = 1 }),
            credentials: null,
            sp.GetRequiredService<TimeProvider>()));
        builder.Services.AddSingleton<ShardDiscovery>();
        builder.Services.AddSingleton<ShardHealth>();
        builder.Services.AddSingleton<ShardProcessor>();
        return builder;
    }

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

        // Shutdown waits for the loads in flight and the lease releases.
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(60));
        return builder;
    }

    /// <summary>The <c>Tracking.Consumer</c> meter, Npgsql's spans and metrics, the health checks and, with <c>Consumer:AdminKey</c>, <c>/metrics</c> and <c>/status.json</c>.</summary>
    public static WebApplicationBuilder AddConsumerTelemetry(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<ConsumerMetrics>();

        // Npgsql's command spans sit under the load span (the COPY, the insert, the checkpoint); a no-op while tracing is off.
        builder.Services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddNpgsql());
        builder.Services.ConfigureOpenTelemetryMeterProvider(metrics => metrics.AddNpgsqlInstrumentation());
        builder.Services.AddConsumerHealthChecks();
        builder.Services.AddOperationsEndpoints(builder.Configuration);
        return builder;
    }

    private static void Validated<T>(IServiceCollection services, string section, Func<T, IEnumerable<string>> rules)
        where T : class
    {
        services.AddOptions<T>()
            .BindConfiguration(section)
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<T>>(new RuleValidator<T>(rules));
    }

    private sealed class RuleValidator<T>(Func<T, IEnumerable<string>> rules) : IValidateOptions<T>
        where T : class
    {
        public ValidateOptionsResult Validate(string? name, T options)
        {
            var errors = rules(options).ToList();
            return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
        }
    }
}
