using Microsoft.Extensions.Options;
using Tracking.Aws;
using Tracking.Consumer.Health;
using Tracking.Consumer.Leases;
using Tracking.Consumer.Loading;
using Tracking.Consumer.Shards;
using Tracking.Consumer.Telemetry;
using Tracking.Consumer.Warehouse;
using Tracking.ServiceDefaults;

namespace Tracking.Consumer;

/// <summary>Registers the consumer's settings, each bound from its section and validated at start.</summary>
internal static class ConsumerOptionsSetup
{
    /// <summary>Settings validated at start: every broken rule is reported together, naming its setting.</summary>
    public static WebApplicationBuilder AddConsumerOptions(this WebApplicationBuilder builder)
    {
        builder.Services.AddValidatedOptions<StreamOptions>(StreamOptions.Section).UseDefaultRegion(o => o);
        builder.Services.AddValidatedOptions<WarehouseOptions>(WarehouseOptions.Section);
        builder.Services.AddSingleton<IValidateOptions<WarehouseOptions>, DialectRules>();
        builder.Services.AddOptions<RedshiftOptions>().BindConfiguration(RedshiftOptions.Section).UseDefaultRegion(o => o.S3 ??= new AwsClientSettings());
        // Reading a plan needs the content root, so its check is a validator of its own.
        builder.Services.AddOptions<PlanViewOptions>().BindConfiguration(PlanViewOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<PlanViewOptions>, PlanViewOptionsValidator>();
        builder.Services.AddValidatedOptions<BatchingOptions>(BatchingOptions.Section).PostConfigure<IConfiguration>((o, configuration) =>
        {
            if (Enum.TryParse<WarehouseDialect>(configuration[$"{WarehouseOptions.Section}:{nameof(WarehouseOptions.Dialect)}"], ignoreCase: true, out var dialect)
                && dialect == WarehouseDialect.Redshift)
            {
                o.ApplyRedshiftDefaults(configuration.GetSection(BatchingOptions.Section));
            }
        });
        builder.Services.AddValidatedOptions<LeaseOptions>(LeaseOptions.Section).UseDefaultRegion(o => o.DynamoDb ??= new DynamoDbLeaseOptions());
        builder.Services.AddValidatedOptions<WorkerOptions>(WorkerOptions.Section);
        builder.Services.AddValidatedOptions<OperationsOptions>(OperationsOptions.Section);
        builder.Services.AddValidatedOptions<ShardHealthOptions>(ShardHealthOptions.Section);
        return builder;
    }
}
