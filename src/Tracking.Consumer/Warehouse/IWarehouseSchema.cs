namespace Tracking.Consumer.Warehouse;

/// <summary>Creates the warehouse tables and applies the migrations a database lacks, once, under a lock.</summary>
internal interface IWarehouseSchema
{
    Task MigrateAsync(CancellationToken cancellationToken);
}
