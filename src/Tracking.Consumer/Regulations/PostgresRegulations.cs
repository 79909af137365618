using Npgsql;
using NpgsqlTypes;

namespace Tracking.Consumer.Regulations;

/// <summary>A deletion on PostgreSQL: events by id column, dead letters whose payload holds the id, the record, one transaction.</summary>
internal sealed partial class PostgresRegulations(NpgsqlDataSource dataSource, TimeProvider time, ILogger<PostgresRegulations> logger) : IRegulations
{
    public async Task<RegulationResult> DeleteAsync(RegulationRequest request, CancellationToken cancellationToken)
    {
        var (kind, id) = request.Subject;
        var requestedAt = time.GetUtcNow();
        var regulation = Guid.CreateVersion7(requestedAt);
        try
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            long events;
            await using (var delete = new NpgsqlCommand(RegulationSql.DeleteEvents(kind), connection, transaction))
            {
                delete.Parameters.Add(new NpgsqlParameter { Value = id, NpgsqlDbType = NpgsqlDbType.Text });
                events = await delete.ExecuteNonQueryAsync(cancellationToken);
            }

            long letters;
            var forms = RegulationSql.JsonStringForms(id);
            await using (var delete = new NpgsqlCommand(RegulationSql.PostgresDeleteDeadLetters(forms.Count), connection, transaction))
            {
                foreach (var form in forms)
                {
                    delete.Parameters.Add(new NpgsqlParameter { Value = form, NpgsqlDbType = NpgsqlDbType.Bytea });
                }

                letters = await delete.ExecuteNonQueryAsync(cancellationToken);
            }

            var done = new RegulationResult(regulation, RegulationKinds.Delete, kind, id, request.RequestedBy!, requestedAt, time.GetUtcNow(), RegulationKinds.Completed, events, letters, null);
            await RegulationRecords.InsertAsync(connection, transaction, done, idAsText: false, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            LogDeleted(regulation, kind, events, letters);
            return done;
        }
        catch (Exception exception) when (exception is NpgsqlException or TimeoutException)
        {
            var failed = new RegulationResult(regulation, RegulationKinds.Delete, kind, id, request.RequestedBy!, requestedAt, time.GetUtcNow(), RegulationKinds.Failed, 0, 0, exception.Message);
            try
            {
                await RegulationRecords.InsertFailedAsync(dataSource, failed, idAsText: false, cancellationToken);
            }
            catch (Exception recording) when (recording is NpgsqlException or TimeoutException)
            {
                LogNotRecorded(recording, regulation);
            }

            LogFailed(exception, regulation);
            return failed;
        }
    }

    public Task<RegulationList> ListAsync(CancellationToken cancellationToken) => RegulationRecords.ListAsync(dataSource, cancellationToken);

    [LoggerMessage(Level = LogLevel.Information, Message = "Regulation {Regulation}: deleted {Events} events and {DeadLetters} dead letters of a {Kind}")]
    private partial void LogDeleted(Guid regulation, string kind, long events, long deadLetters);

    [LoggerMessage(Level = LogLevel.Error, Message = "Regulation {Regulation} failed and deleted nothing; run it again")]
    private partial void LogFailed(Exception exception, Guid regulation);

    [LoggerMessage(Level = LogLevel.Error, Message = "Regulation {Regulation} failed and could not be recorded as failed either")]
    private partial void LogNotRecorded(Exception exception, Guid regulation);
}
