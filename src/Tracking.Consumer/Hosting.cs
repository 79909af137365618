using Microsoft.Extensions.Options;
using Npgsql;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Tracking.Aws;
using Tracking.Aws.Kinesis;
using Tracking.Consumer.Health;
using Tracking.Consumer.Leases;
using Tracking.Consumer.Loading;
using Tracking.Consumer.Shards;
using Tracking.Consumer.Telemetry;
using Tracking.Consumer.Warehouse;

namespace Tracking.Consumer;

/// <summary>The consumer's parts, each registered by one method that <c>Program.cs</c> lists.</summary>
internal static class Hosting
{
    /// <summary>Settings validated at start: every broken rule is reported together, naming its setting.</summary>
    public static WebApplicationBuilder AddConsumerOptions(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton(TimeProvider.System);
        Validated<StreamOptions>(builder.Services, StreamOptions.Section, o => o.Validate());
        builder.Services.AddOptions<StreamOptions>().PostConfigure<IConfiguration>((o, configuration) =>
            o.Region = string.IsNullOrWhiteSpace(o.Region) ? AwsClientSettings.DefaultRegion(key => configuration[key]) : o.Region.Trim());
        Validated<WarehouseOptions>(builder.Services, WarehouseOptions.Section, o => o.Validate());
        Validated<BatchingOptions>(builder.Services, BatchingOptions.Section, o => o.Validate());
        Validated<LeaseOptions>(builder.Services, LeaseOptions.Section, o => o.Validate());
        Validated<WorkerOptions>(builder.Services, WorkerOptions.Section, o => o.Validate());
        Validated<OperationsOptions>(builder.Services, OperationsOptions.Section, o => o.Validate());

        // Only this port serves HTTP: ASPNETCORE_URLS and the generic Urls setting do not apply to the consumer.
        var urls = builder.Configuration[$"{HttpOptions.Section}:{nameof(HttpOptions.Urls)}"] ?? HttpOptions.DefaultUrls;
        builder.WebHost.UseUrls(urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        return builder;
    }

    /// <summary>The warehouse database: its schema and migrations, the loader, checkpoints and dead letters.</summary>
    public static WebApplicationBuilder AddWarehouse(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton(sp =>
        {
            var connection = new NpgsqlConnectionStringBuilder(sp.GetRequiredService<IOptions<WarehouseOptions>>().Value.ConnectionString)
            {
                // The staging table lives on the pooled connection; resetting it on close would drop it every load.
                NoResetOnClose = true,
            };
            return new NpgsqlDataSourceBuilder(connection.ConnectionString).Build();
        });
        builder.Services.AddSingleton<PostgresSchema>();
        builder.Services.AddSingleton<IWarehouseLoader, PostgresLoader>();
        return builder;
    }

    /// <summary>The Kinesis client, shard discovery and the per-shard read and load loop.</summary>
    public static WebApplicationBuilder AddShardReading(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton(sp => new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
        {
            Timeout = sp.GetRequiredService<IOptions<StreamOptions>>().Value.RequestTimeout,
        });
        builder.Services.AddSingleton<IKinesisClient>(sp => new KinesisClient(
            sp.GetRequiredService<HttpClient>(),
            sp.GetRequiredService<IOptions<StreamOptions>>().Value.ToKinesisClientOptions(),
            credentials: null,
            sp.GetRequiredService<TimeProvider>()));
        builder.Services.AddSingleton<ShardDiscovery>();
        builder.Services.AddSingleton<ShardProcessor>();
        return builder;
    }

    /// <summary>The lease table and the coordinator that renews, takes and balances leases.</summary>
    public static WebApplicationBuilder AddLeases(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<ILeaseStore, PostgresLeaseStore>();
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

    /// <summary>
    /// Runs the consumer. Invalid settings end it before anything starts, with one line naming each broken setting
    /// and exit code 2, instead of a stack trace from deep inside the host; a warehouse that cannot be reached or
    /// migrated ends it with one line and exit code 3. The schema is migrated before any worker starts.
    /// </summary>
    public static async Task<int> RunConsumerAsync(this WebApplication app)
    {
        try
        {
            app.Services.GetRequiredService<IStartupValidator>().Validate();
        }
        catch (Exception exception) when (ValidationFailures(exception) is { Count: > 0 } failures)
        {
            await Console.Error.WriteLineAsync($"Tracking.Consumer cannot start: {string.Join(" ", failures)}");
            return 2;
        }

        try
        {
            await app.Services.GetRequiredService<PostgresSchema>().MigrateAsync(app.Lifetime.ApplicationStopping);
        }
        catch (NpgsqlException exception)
        {
            await Console.Error.WriteLineAsync(
                $"Tracking.Consumer cannot start: the warehouse database in {WarehouseOptions.Section}:ConnectionString could not be reached or migrated: {exception.Message}");
            return 3;
        }

        await app.RunAsync();
        return 0;
    }

    private static List<string> ValidationFailures(Exception exception) => exception switch
    {
        OptionsValidationException validation => validation.Failures.ToList(),

        // The binder's own refusal of a value it cannot convert, e.g. Consumer:Warehouse:Dialect=Oracle.
        InvalidOperationException { Message: var message, InnerException: var inner } when message.StartsWith("Failed to convert configuration value", StringComparison.Ordinal) =>
            [inner is null ? message : $"{message} {inner.Message}"],
        AggregateException aggregate => aggregate.InnerExceptions.SelectMany(ValidationFailures).ToList(),
        _ => [],
    };

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
