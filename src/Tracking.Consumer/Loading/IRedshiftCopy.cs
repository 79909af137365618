using Npgsql;

namespace Tracking.Consumer.Loading;

/// <summary>Fills the staging table from staged S3 objects: in production Redshift's <c>COPY … MANIFEST</c>.</summary>
internal interface IRedshiftCopy
{
    Task CopyAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, StagedBatch staged, CancellationToken cancellationToken);
}
