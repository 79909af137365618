using Microsoft.Extensions.Options;
using Npgsql;
using Tracking.Consumer.Leases;
using Tracking.Consumer.Warehouse;
using Tracking.ServiceDefaults;

namespace Tracking.Consumer;

/// <summary>
/// What is prepared before any worker starts, in order, each a step of <see cref="HostStart.RunAsync"/>: the warehouse
/// schema migrated, then the lease table made where leases are kept. Something that cannot be reached or prepared
/// ends the start with one line naming its setting (exit code <see cref="HostStart.Unavailable"/>).
/// </summary>
internal static class ConsumerStart
{
    /// <summary>Creates or migrates the warehouse's tables and views.</summary>
    public static async Task PrepareWarehouseAsync(WebApplication app, CancellationToken cancellationToken)
    {
        try
        {
            await app.Services.GetRequiredService<IWarehouseSchema>().MigrateAsync(cancellationToken);
        }
        catch (NpgsqlException exception)
        {
            throw new StartRefusedException(
                $"the warehouse database in {WarehouseOptions.Section}:ConnectionString could not be reached or migrated: {exception.Message}", exception);
        }
        catch (SchemaClashException exception)
        {
            throw new StartRefusedException($"the warehouse in {WarehouseOptions.Section}:ConnectionString: {exception.Message}", exception);
        }
    }

    /// <summary>Creates the lease table in DynamoDB or the lease database when leases are kept there (the warehouse's own is part of its schema).</summary>
    public static async Task PrepareLeasesAsync(WebApplication app, CancellationToken cancellationToken)
    {
        var leaseOptions = app.Services.GetRequiredService<IOptions<LeaseOptions>>().Value;
        var leaseStore = DialectRules.EffectiveStore(app.Services.GetRequiredService<IOptions<WarehouseOptions>>().Value.Dialect, leaseOptions.Store);
        if (leaseStore == LeaseStoreKind.DynamoDb)
        {
            try
            {
                await app.Services.GetRequiredService<DynamoDbLeaseStore>().EnsureTableAsync(cancellationToken);
            }
            catch (Exception exception) when (exception is Amazon.Runtime.AmazonServiceException or Amazon.Runtime.AmazonClientException or HttpRequestException or TimeoutException)
            {
                throw new StartRefusedException(
                    $"the DynamoDB lease table {LeaseOptions.Section}:DynamoDb:TableName ('{leaseOptions.DynamoDb.TableName}') could not be reached or created: {exception.Message}", exception);
            }
        }

        if (leaseStore == LeaseStoreKind.Postgres)
        {
            try
            {
                await new PostgresLeaseSchema(app.Services.GetRequiredKeyedService<NpgsqlDataSource>(LeasesSetup.LeaseDatabase)).CreateAsync(cancellationToken);
            }
            catch (NpgsqlException exception)
            {
                throw new StartRefusedException(
                    $"the lease database in {LeaseOptions.Section}:ConnectionString could not be reached or prepared: {exception.Message}", exception);
            }
        }
    }
}
