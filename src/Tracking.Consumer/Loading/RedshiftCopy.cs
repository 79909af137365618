using Microsoft.Extensions.Options;
using Npgsql;
using Tracking.Consumer.Warehouse;

namespace Tracking.Consumer.Loading;

/// <summary><c>COPY</c> from S3 with the cluster's IAM role.</summary>
internal sealed class RedshiftCopy(IOptions<RedshiftOptions> options) : IRedshiftCopy
{
    public async Task CopyAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, StagedBatch staged, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        await using var command = new NpgsqlCommand(RedshiftSql.Copy(staged.ManifestUrl, settings.IamRole!, settings.S3.Region!), connection, transaction);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
