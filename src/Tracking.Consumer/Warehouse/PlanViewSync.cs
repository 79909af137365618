using Npgsql;
using Tracking.Plans;

namespace Tracking.Consumer.Warehouse;

/// <summary>
/// Makes the per-event views (<see cref="PlanViews"/>) match the plans, on every start, after the migrations and in
/// their transaction and lock, so workers starting together take turns: a view is created when its event enters a
/// plan, made again when its statement changed, dropped when the event left. <see cref="Table"/> records each view the
/// consumer made with its statement's hash; only those are ever dropped, and a name something else already has
/// refuses the start rather than being replaced.
/// </summary>
internal sealed partial class PlanViewSync(IReadOnlyList<PlanView> views, bool redshift, TimeProvider timeProvider, ILogger<PlanViewSync> logger)
{
    /// <summary>The record of the views the consumer made.</summary>
    public const string Table = "plan_views";

    /// <summary>The views the plans call for.</summary>
    public IReadOnlyList<PlanView> Views => views;

    /// <summary>The plans of <paramref name="options"/>, read from files the options validator has already checked.</summary>
    public static PlanViewSync From(PlanViewOptions options, IHostEnvironment environment, bool redshift, TimeProvider timeProvider, ILogger<PlanViewSync> logger) =>
        new(PlanViews.For(options.TrackingPlans.Select(p => (p.Key, PlanDocument.Read(Resolve(environment, p.Value.Path)))), redshift), redshift, timeProvider, logger);

    /// <summary>A plan path: a relative one is taken from the content root.</summary>
    public static string Resolve(IHostEnvironment environment, string path) => Path.GetFullPath(path, environment.ContentRootPath);

    /// <summary>Creates, replaces and drops views inside the migrations' <paramref name="transaction"/>.</summary>
    public async Task ApplyAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        var recorded = new Dictionary<string, string>(StringComparer.Ordinal);
        await using (var command = new NpgsqlCommand($"SELECT view_name, definition_hash FROM {Table}", connection, transaction))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                recorded[reader.GetString(0)] = reader.GetString(1);
            }
        }

        var wanted = views.ToDictionary(v => v.Name, StringComparer.Ordinal);
        var dropped = 0;
        foreach (var (name, _) in recorded.Where(r => !wanted.ContainsKey(r.Key)))
        {
            await RunAsync(connection, transaction, $"DROP VIEW IF EXISTS {Quote(name)}", cancellationToken);
            await RunAsync(connection, transaction, $"DELETE FROM {Table} WHERE view_name = $1", cancellationToken, name);
            dropped++;
        }

        var changed = views.Where(v => !recorded.TryGetValue(v.Name, out var hash) || hash != v.Hash).ToList();
        if (changed.Count > 0 && redshift)
        {
            // SUPER attributes keep their case only so; a view keeps the setting it was made with.
            await RunAsync(connection, transaction, "SET enable_case_sensitive_identifier TO true", cancellationToken);
        }

        foreach (var view in changed)
        {
            var replacing = recorded.ContainsKey(view.Name);
            if (replacing)
            {
                await RunAsync(connection, transaction, $"DROP VIEW IF EXISTS {Quote(view.Name)}", cancellationToken);
                await RunAsync(connection, transaction, $"DELETE FROM {Table} WHERE view_name = $1", cancellationToken, view.Name);
            }

            try
            {
                await RunAsync(connection, transaction, view.Statement, cancellationToken);
            }
            catch (PostgresException exception) when (SchemaClashException.IsClash(exception))
            {
                throw new SchemaClashException(
                    $"the view {view.Name} for event '{view.Event}' of source '{view.Source}' ({PlanViewOptions.SettingOf(view.Source, "Path")}) cannot be created: " +
                    $"{exception.MessageText}. The consumer replaces only views it made; rename or drop what has that name.",
                    exception);
            }

            await RunAsync(
                connection,
                transaction,
                $"INSERT INTO {Table} (view_name, source, event, definition_hash, created_at) VALUES ($1, $2, $3, $4, $5)",
                cancellationToken,
                view.Name,
                view.Source,
                view.Event,
                view.Hash,
                timeProvider.GetUtcNow().UtcDateTime);
            LogMade(view.Name, view.Source, view.Event, replacing ? "replaced" : "created");
        }

        if (changed.Count > 0 && redshift)
        {
            await RunAsync(connection, transaction, "RESET enable_case_sensitive_identifier", cancellationToken);
        }

        if (dropped > 0 || changed.Count > 0)
        {
            LogSynced(views.Count, changed.Count, dropped);
        }
    }

    private static string Quote(string name) => $"\"{name.Replace("\"", "\"\"", StringComparison.Ordinal)}\"";

    private static async Task RunAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, CancellationToken cancellationToken, params object[] values)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        foreach (var value in values)
        {
            command.Parameters.Add(value is DateTime
                ? new NpgsqlParameter { Value = value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz }
                : new NpgsqlParameter { Value = value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Varchar });
        }

        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Per-event view {View} {Action} for event '{Event}' of source '{Source}'")]
    private partial void LogMade(string view, string source, string @event, string action);

    [LoggerMessage(Level = LogLevel.Information, Message = "Per-event views: {Count} planned, {Changed} created or replaced, {Dropped} dropped")]
    private partial void LogSynced(int count, int changed, int dropped);
}
