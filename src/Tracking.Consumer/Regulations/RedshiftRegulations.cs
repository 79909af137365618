using System.Net;
using Amazon.Runtime;
using Amazon.S3;
using Npgsql;
using NpgsqlTypes;
using Tracking.Consumer.Loading;
using Tracking.Consumer.Warehouse;

namespace Tracking.Consumer.Regulations;

/// <summary>
/// A deletion on Redshift: events by id column, inline dead letters whose payload holds the id (<c>strpos</c>), and
/// dead letters kept on S3 read one by one and removed with their object; the record, one transaction.
/// </summary>
internal sealed partial class RedshiftRegulations(NpgsqlDataSource dataSource, S3Staging staging, TimeProvider time, ILogger<RedshiftRegulations> logger) : IRegulations
{
    public async Task<RegulationResult> DeleteAsync(RegulationRequest request, CancellationToken cancellationToken)
    {
        var (kind, id) = request.Subject;
        var requestedAt = time.GetUtcNow();
        var regulation = Guid.CreateVersion7(requestedAt);
        var forms = RegulationSql.JsonStringForms(id);
        try
        {
            // Read before the transaction opens: S3 reads take their time, and Redshift holds a transaction's locks throughout.
            var onS3 = await HoldingOnS3Async(forms, cancellationToken);

            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            long events;
            await using (var delete = new NpgsqlCommand(RegulationSql.DeleteEvents(kind), connection, transaction))
            {
                delete.Parameters.Add(Text(id));
                events = await delete.ExecuteNonQueryAsync(cancellationToken);
            }

            long letters;
            await using (var delete = new NpgsqlCommand(RegulationSql.RedshiftDeleteInlineDeadLetters(forms.Count), connection, transaction))
            {
                foreach (var form in RegulationSql.AsText(forms))
                {
                    delete.Parameters.Add(Text(form));
                }

                letters = await delete.ExecuteNonQueryAsync(cancellationToken);
            }

            foreach (var letter in onS3)
            {
                await using var delete = new NpgsqlCommand(RedshiftSql.DeleteDeadLetter, connection, transaction);
                delete.Parameters.Add(Text(letter.Stream));
                delete.Parameters.Add(Text(letter.ShardId));
                delete.Parameters.Add(Text(letter.SequenceNumber));
                letters += await delete.ExecuteNonQueryAsync(cancellationToken);
            }

            // The objects go before the commit: should it fail, a repeat finds rows with no data behind them, never data behind no row.
            foreach (var letter in onS3)
            {
                await staging.DeleteDeadLetterAsync(letter.Url, cancellationToken);
            }

            var done = new RegulationResult(regulation, RegulationKinds.Delete, kind, id, request.RequestedBy!, requestedAt, time.GetUtcNow(), RegulationKinds.Completed, events, letters, null);
            await RegulationRecords.InsertAsync(connection, transaction, done, idAsText: true, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            LogDeleted(regulation, kind, events, letters);
            return done;
        }
        catch (Exception exception) when (exception is NpgsqlException or TimeoutException or AmazonServiceException or HttpRequestException)
        {
            var failed = new RegulationResult(regulation, RegulationKinds.Delete, kind, id, request.RequestedBy!, requestedAt, time.GetUtcNow(), RegulationKinds.Failed, 0, 0, exception.Message);
            try
            {
                await RegulationRecords.InsertFailedAsync(dataSource, failed, idAsText: true, cancellationToken);
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

    private async Task<List<LetterOnS3>> HoldingOnS3Async(IReadOnlyList<byte[]> forms, CancellationToken cancellationToken)
    {
        var all = new List<LetterOnS3>();
        await using (var connection = await dataSource.OpenConnectionAsync(cancellationToken))
        await using (var select = new NpgsqlCommand(RegulationSql.RedshiftSelectDeadLettersOnS3, connection))
        await using (var reader = await select.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                all.Add(new LetterOnS3(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3)));
            }
        }

        var holding = new List<LetterOnS3>();
        foreach (var letter in all)
        {
            try
            {
                if (RegulationSql.Holds(await staging.ReadDeadLetterAsync(letter.Url, cancellationToken), forms))
                {
                    holding.Add(letter);
                }
            }
            catch (AmazonS3Exception missing) when (missing.StatusCode == HttpStatusCode.NotFound)
            {
                // No object, no data: an earlier deletion removed it and did not commit, or it was never kept.
            }
        }

        return holding;
    }

    private static NpgsqlParameter Text(string value) => new() { Value = value, NpgsqlDbType = NpgsqlDbType.Varchar };

    private sealed record LetterOnS3(string Stream, string ShardId, string SequenceNumber, string Url);

    [LoggerMessage(Level = LogLevel.Information, Message = "Regulation {Regulation}: deleted {Events} events and {DeadLetters} dead letters of a {Kind}")]
    private partial void LogDeleted(Guid regulation, string kind, long events, long deadLetters);

    [LoggerMessage(Level = LogLevel.Error, Message = "Regulation {Regulation} failed and deleted nothing; run it again")]
    private partial void LogFailed(Exception exception, Guid regulation);

    [LoggerMessage(Level = LogLevel.Error, Message = "Regulation {Regulation} failed and could not be recorded as failed either")]
    private partial void LogNotRecorded(Exception exception, Guid regulation);
}
