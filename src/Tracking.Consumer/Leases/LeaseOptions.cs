using Npgsql;
using Tracking.ServiceDefaults;

namespace Tracking.Consumer.Leases;

/// <summary>Where leases (owner, counter, expiry) are kept.</summary>
public enum LeaseStoreKind
{
    /// <summary>In the warehouse database, in the same table as the checkpoints. PostgreSQL dialect only.</summary>
    Warehouse,

    /// <summary>In a PostgreSQL database of their own (<see cref="LeaseOptions.ConnectionString"/>); with the Redshift
    /// dialect the checkpoints and the fence stay in Redshift.</summary>
    Postgres,

    /// <summary>In a DynamoDB table (<see cref="LeaseOptions.DynamoDb"/>), as the KCL keeps them; Redshift dialect only,
    /// the checkpoints and the fence staying in Redshift.</summary>
    DynamoDb,
}

/// <summary>The DynamoDB lease table and its client, bound from <c>Consumer:Leases:DynamoDb</c>: <c>Region</c> (default
/// <c>AWS_REGION</c>), <c>ServiceUrl</c> (dynalite, DynamoDB Local), <c>RequestTimeout</c>, <c>Retry</c>.</summary>
public sealed class DynamoDbLeaseOptions : Tracking.Aws.AwsClientSettings
{
    /// <summary>The table, created on start (on-demand capacity) when missing. Default <c>tracking-consumer-leases</c>.</summary>
    public string TableName { get; set; } = "tracking-consumer-leases";
}

/// <summary>How workers share the shards, bound from <c>Consumer:Leases</c>.</summary>
public sealed class LeaseOptions : IValidatedOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Consumer:Leases";

    /// <summary>How long a lease lasts without renewal; it is renewed every third of it, so a worker that stops
    /// renewing loses its shards to the others after at most this long. Default 10 s; 1 s to 10 minutes.</summary>
    public TimeSpan Duration { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often the shard list is read again to find shards created since. Default 30 s; at least 1 s.
    /// A shard end triggers a re-list at once.</summary>
    public TimeSpan ShardListInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Where leases are kept. Default: <see cref="LeaseStoreKind.Warehouse"/> for the PostgreSQL dialect,
    /// <see cref="LeaseStoreKind.DynamoDb"/> for Redshift, which must not take a commit per renewal.</summary>
    public LeaseStoreKind? Store { get; set; }

    /// <summary>The Npgsql connection string of the lease database when <see cref="Store"/> is <see cref="LeaseStoreKind.Postgres"/>.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>The lease table when <see cref="Store"/> is <see cref="LeaseStoreKind.DynamoDb"/>.</summary>
    public DynamoDbLeaseOptions DynamoDb { get; set; } = new();

    /// <summary>The time between renewals: a third of <see cref="Duration"/>, as the KCL does.</summary>
    internal TimeSpan RenewInterval => Duration / 3;

    /// <inheritdoc/>
    public IEnumerable<string> Validate()
    {
        if (Duration < TimeSpan.FromSeconds(1) || Duration > TimeSpan.FromMinutes(10))
        {
            yield return $"{Section}:Duration must be between 00:00:01 and 00:10:00 (got {Duration}).";
        }

        if (Store == LeaseStoreKind.Postgres)
        {
            string? error = null;
            try
            {
                _ = new NpgsqlConnectionStringBuilder(ConnectionString);
            }
            catch (ArgumentException exception)
            {
                error = $"{Section}:ConnectionString is not a valid connection string: {exception.Message}";
            }

            if (string.IsNullOrWhiteSpace(ConnectionString))
            {
                yield return $"{Section}:ConnectionString is required when {Section}:Store is Postgres: the Npgsql connection string of the lease database.";
            }
            else if (error is not null)
            {
                yield return error;
            }
        }

        if (Store == LeaseStoreKind.DynamoDb)
        {
            if (DynamoDb is null)
            {
                yield return $"{Section}:DynamoDb must be set when {Section}:Store is DynamoDb.";
            }
            else
            {
                if (string.IsNullOrWhiteSpace(DynamoDb.TableName) || DynamoDb.TableName.Length is < 3 or > 255 || !DynamoDb.TableName.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.'))
                {
                    yield return $"{Section}:DynamoDb:TableName must be 3 to 255 letters, digits, '_', '-' or '.', DynamoDB's rule (got '{DynamoDb.TableName}').";
                }

                foreach (var error in DynamoDb.ValidateSettings($"{Section}:DynamoDb"))
                {
                    yield return error;
                }
            }
        }

        if (ShardListInterval < TimeSpan.FromSeconds(1))
        {
            yield return $"{Section}:ShardListInterval must be at least 00:00:01 (got {ShardListInterval}); ListShards allows 100 calls per second per account.";
        }
    }
}

/// <summary>Who this process is among the workers, bound from <c>Consumer</c>.</summary>
public sealed class WorkerOptions : IValidatedOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Consumer";

    /// <summary>The longest <see cref="WorkerId"/>: with the instance suffix the owner stays within the 256 bytes the
    /// lease and checkpoint tables keep.</summary>
    internal const int MaxWorkerIdLength = 240;

    /// <summary>This worker's name for humans: logs, <c>/status.json</c> and the start of its lease owner. It need not
    /// be unique: each process owns leases as <c>{WorkerId}:{instance}</c>, the instance drawn at random at start, so
    /// replicas that share one value do not take each other's leases for their own. Default: host name and process
    /// id, e.g. <c>web-1:4242</c>. 1 to 240 characters.</summary>
    public string WorkerId { get; set; } = $"{Environment.MachineName}:{Environment.ProcessId}";

    /// <summary>This process's random part of its lease owner, fixed for its lifetime.</summary>
    internal string InstanceId { get; } = Guid.NewGuid().ToString("N")[..8];

    /// <summary>The name this process holds leases under: <see cref="WorkerId"/> and <see cref="InstanceId"/>.</summary>
    internal string LeaseOwner => $"{WorkerId}:{InstanceId}";

    /// <inheritdoc/>
    public IEnumerable<string> Validate()
    {
        if (string.IsNullOrWhiteSpace(WorkerId) || WorkerId.Length > MaxWorkerIdLength)
        {
            yield return $"{Section}:WorkerId must be 1 to {MaxWorkerIdLength} characters (got '{WorkerId}').";
        }
    }
}
