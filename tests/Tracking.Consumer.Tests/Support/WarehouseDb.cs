using Npgsql;
using Tracking.Testing;

namespace Tracking.Consumer.Tests.Support;

/// <summary>Reads what the consumer wrote, and waits on conditions over it.</summary>
public sealed class WarehouseDb(string connectionString)
{
    public string ConnectionString => connectionString;

    public async Task<T> ScalarAsync<T>(string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    public async Task<List<object?[]>> RowsAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<object?[]>();
        while (await reader.ReadAsync())
        {
            var row = new object?[reader.FieldCount];
            for (var i = 0; i < row.Length; i++)
            {
                row[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            }

            rows.Add(row);
        }

        return rows;
    }

    public async Task<long> EventCountAsync()
    {
        try
        {
            return await ScalarAsync<long>("SELECT count(*) FROM events");
        }
        catch (PostgresException exception) when (exception.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            return 0;
        }
    }

    public async Task<HashSet<string>> MessageIdsAsync() =>
        (await RowsAsync("SELECT message_id FROM events")).Select(r => (string)r[0]!).ToHashSet(StringComparer.Ordinal);

    /// <summary>The <c>Consumer:WorkerId</c> of the owner per unfinished shard, for lease assertions: the lease owner
    /// is <c>{WorkerId}:{instance}</c>, and the instance is random.</summary>
    public async Task<Dictionary<string, string?>> OwnersAsync() =>
        (await LeaseOwnersAsync()).ToDictionary(p => p.Key, p => p.Value is { } owner ? owner.Contains(':', StringComparison.Ordinal) ? owner[..owner.LastIndexOf(':')] : owner : null);

    /// <summary>The full lease owner per unfinished shard: <c>{WorkerId}:{instance}</c>.</summary>
    public async Task<Dictionary<string, string?>> LeaseOwnersAsync()
    {
        try
        {
            return (await RowsAsync("SELECT shard_id, owner FROM shard_leases WHERE NOT finished")).ToDictionary(r => (string)r[0]!, r => (string?)r[1]);
        }
        catch (PostgresException exception) when (exception.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            return [];
        }
    }

    /// <summary>Waits until every shard written to is checkpointed at its last record: the consumer has loaded
    /// all it will, so what is missing now is lost, not late.</summary>
    public Task WaitForCheckpointsAsync(IReadOnlyDictionary<string, string> lastSequenceNumbers, TimeSpan timeout, ConsumerProcess? consumer = null)
    {
        async Task<Dictionary<string, string?>> CheckpointsAsync()
        {
            try
            {
                return (await RowsAsync("SELECT shard_id, checkpoint FROM shard_leases WHERE stream NOT LIKE '%@%'")).ToDictionary(r => (string)r[0]!, r => (string?)r[1]);
            }
            catch (PostgresException exception) when (exception.SqlState == PostgresErrorCodes.UndefinedTable)
            {
                return [];
            }
        }

        Dictionary<string, string?> checkpoints = [];
        return Eventually.TrueAsync(
            async () =>
            {
                checkpoints = await CheckpointsAsync();
                return lastSequenceNumbers.All(p => checkpoints.TryGetValue(p.Key, out var checkpoint) && checkpoint == p.Value);
            },
            $"every shard is checkpointed at its last record ({string.Join(", ", lastSequenceNumbers)})",
            timeout,
            () => $"checkpoints {string.Join(", ", checkpoints)}{Environment.NewLine}{consumer?.Output}");
    }

    public Task WaitForEventCountAsync(long expected, TimeSpan timeout, ConsumerProcess? consumer = null)
    {
        long loaded = 0;
        return Eventually.TrueAsync(
            async () => (loaded = await EventCountAsync()) >= expected,
            $"{expected} events are loaded",
            timeout,
            () => $"{loaded} loaded{Environment.NewLine}{consumer?.Output}");
    }
}
