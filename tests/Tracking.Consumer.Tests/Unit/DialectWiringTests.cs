using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Tracking.Consumer.Health;
using Tracking.Consumer.Leases;
using Tracking.Consumer.Loading;
using Tracking.Consumer.Shards;
using Tracking.Consumer.Telemetry;
using Tracking.Consumer.Warehouse;
using Tracking.ServiceDefaults;

namespace Tracking.Consumer.Tests.Unit;

/// <summary>The services <c>Program.cs</c> registers, resolved for each dialect and lease store (nothing is connected).</summary>
public sealed class DialectWiringTests
{
    [Theory]
    [InlineData(null, typeof(DynamoDbLeaseStore))]
    [InlineData("DynamoDb", typeof(DynamoDbLeaseStore))]
    [InlineData("Postgres", typeof(PostgresLeaseStore))]
    public async Task TheRedshiftDialectGetsTheRedshiftLoaderAndSchemaAndLeasesOutsideRedshift(string? store, Type leaseStore)
    {
        await using var app = Build(new()
        {
            ["Consumer:Warehouse:Dialect"] = "Redshift",
            ["Consumer:Leases:Store"] = store,
            ["Consumer:Leases:ConnectionString"] = "Host=leases",
        });

        Assert.IsType<RedshiftLoader>(app.Services.GetRequiredService<IWarehouseLoader>());
        Assert.IsType<RedshiftSchema>(app.Services.GetRequiredService<IWarehouseSchema>());
        var leases = Assert.IsType<RedshiftLeaseStore>(app.Services.GetRequiredService<ILeaseStore>());
        Assert.IsType(leaseStore, leases.Leases);
        Assert.Equal((BatchingOptions.RedshiftMaxRows, BatchingOptions.RedshiftMaxBytes, BatchingOptions.RedshiftLinger), Batching(app));
    }

    [Fact]
    public async Task ThePostgresDialectKeepsItsLoaderSchemaLeasesAndBatching()
    {
        await using var app = Build([]);

        Assert.IsType<PostgresLoader>(app.Services.GetRequiredService<IWarehouseLoader>());
        Assert.IsType<PostgresSchema>(app.Services.GetRequiredService<IWarehouseSchema>());
        Assert.IsType<PostgresLeaseStore>(app.Services.GetRequiredService<ILeaseStore>());
        Assert.Equal((10_000, 8 * 1024 * 1024, TimeSpan.FromSeconds(1)), Batching(app));
    }

    private static (int, int, TimeSpan) Batching(WebApplication app)
    {
        var batching = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<BatchingOptions>>().Value;
        return (batching.MaxRows, batching.MaxBytes, batching.Linger);
    }

    private static WebApplication Build(Dictionary<string, string?> settings)
    {
        var builder = WebApplication.CreateBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Consumer:Kinesis:StreamName"] = "events",
            ["Consumer:Kinesis:Region"] = "eu-west-1",
            ["Consumer:Warehouse:ConnectionString"] = "Host=warehouse",
            ["Consumer:Redshift:S3Bucket"] = "staging",
            ["Consumer:Redshift:IamRole"] = "arn:aws:iam::123456789012:role/Copy",
            ["Consumer:Redshift:S3:Region"] = "eu-west-1",
            ["Consumer:Leases:DynamoDb:Region"] = "eu-west-1",
            ["Consumer:Http:Urls"] = "http://127.0.0.1:0",
        });
        builder.Configuration.AddInMemoryCollection(settings);

        // As Program.cs has them, in its order.
        builder.AddServiceDefaults();
        builder.ConfigureConsumerHost();
        builder.AddConsumerOptions();
        builder.AddWarehouse();
        builder.AddShardReading();
        builder.AddLeases();
        builder.AddConsumerTelemetry();
        builder.Services.AddConsumerHealthChecks();
        builder.Services.AddOperationsEndpoints(builder.Configuration);
        return builder.Build();
    }
}
