using Tracking.Consumer.Warehouse;

namespace Tracking.Consumer.Tests.Unit;

/// <summary>
/// The parts of the Redshift dialect PostgreSQL cannot run, checked as text: table attributes, the <c>SUPER</c>
/// type as Redshift receives it, and <c>COPY … FROM 's3://…' IAM_ROLE</c>. Everything else runs on PostgreSQL in
/// <c>Integration.RedshiftLoaderTests</c> and <c>Integration.RedshiftSchemaTests</c>.
/// </summary>
public sealed class RedshiftSqlTests
{
    [Fact]
    public void TheEventsDdlDeclaresSuperJsonColumnsSizedVarcharsAndTheReceivedAtSortKey_CheckedAsTextOnly()
    {
        var events = new RedshiftSql().SchemaVersion1[0];

        Assert.StartsWith("CREATE TABLE events (", events, StringComparison.Ordinal);
        Assert.EndsWith(") DISTKEY (message_id) SORTKEY (received_at)", events, StringComparison.Ordinal);
        foreach (var json in new[] { "context", "properties", "traits", "integrations" })
        {
            Assert.Matches($@"\n    {json}\s+SUPER(,|\n)", events);
        }

        Assert.Matches(@"\n    message_id\s+VARCHAR\(2048\) NOT NULL,", events);
        Assert.Matches(@"\n    event\s+VARCHAR\(1024\),", events);
        Assert.Matches(@"\n    ""timestamp""\s+TIMESTAMPTZ,", events);
        Assert.Matches(@"\n    loaded_at\s+TIMESTAMPTZ NOT NULL DEFAULT GETDATE\(\)\n", events);
        Assert.DoesNotContain("jsonb", events, StringComparison.Ordinal);
        Assert.DoesNotContain(" text", events, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void TheRehearsalDdlDiffersFromRedshiftsOnlyByTheTableAttributes()
    {
        var redshift = new RedshiftSql();
        var rehearsal = new RedshiftSql(tableAttributes: false);

        Assert.Equal(redshift.SchemaVersion1[0].Replace(" DISTKEY (message_id) SORTKEY (received_at)", string.Empty, StringComparison.Ordinal), rehearsal.SchemaVersion1[0]);
        Assert.Equal(redshift.CreateStaging.Replace(" DISTKEY (message_id)", string.Empty, StringComparison.Ordinal), rehearsal.CreateStaging);
        Assert.Equal(redshift.SchemaVersion1.Skip(1), rehearsal.SchemaVersion1.Skip(1));
    }

    [Fact]
    public void CopyReadsTheManifestWithTheIamRoleAsGzipJsonMatchedIgnoringCase_CheckedAsTextOnly()
    {
        var copy = RedshiftSql.Copy("s3://bucket/p/events/shardId-1/1-2-3.manifest", "arn:aws:iam::123456789012:role/Copy", "eu-west-1");

        Assert.Equal(
            "COPY events_staging FROM 's3://bucket/p/events/shardId-1/1-2-3.manifest' IAM_ROLE 'arn:aws:iam::123456789012:role/Copy' REGION 'eu-west-1' " +
            "FORMAT JSON 'auto ignorecase' GZIP MANIFEST TIMEFORMAT 'auto' COMPUPDATE OFF STATUPDATE OFF",
            copy);
    }

    [Fact]
    public void MigrationSevenAddsTheViolationsSuperColumnThatStagingAndTheInsertCarry_CheckedAsTextOnly()
    {
        var sql = new RedshiftSql();
        var schema = new RedshiftSchema(null!, sql, TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger<RedshiftSchema>.Instance);

        var (version, _, statements) = schema.Migrations.Single(m => m.Statements.SequenceEqual(RedshiftSql.SchemaVersion7));

        Assert.Equal(7, version);
        Assert.Equal(["ALTER TABLE events ADD COLUMN violations SUPER"], statements);
        Assert.Matches(@"\n    violations\s+SUPER(,|\n)", sql.CreateStaging);
        Assert.Contains(", unparsed_times, violations, loaded_at)", RedshiftSql.InsertFromStaging, StringComparison.Ordinal);
        Assert.DoesNotContain("violations", sql.SchemaVersion1[0], StringComparison.Ordinal);
    }

    [Fact]
    public void ALiteralDoublesItsQuotes()
    {
        Assert.Equal("'it''s'", RedshiftSql.Literal("it's"));
    }

    [Fact]
    public void TheStagingInsertBindsEveryValueAsAParameterAndParsesJsonWithJsonParse()
    {
        var insert = RedshiftSql.InsertIntoStaging(2);

        var perRow = EventColumns.All.Count + 1;
        Assert.Contains($"${2 * perRow})", insert, StringComparison.Ordinal);
        Assert.DoesNotContain($"${(2 * perRow) + 1}", insert, StringComparison.Ordinal);
        Assert.Equal(2 * EventColumns.All.Count(c => c.Kind == ColumnKind.Json), insert.Split("JSON_PARSE($").Length - 1);
        Assert.DoesNotContain("'", insert, StringComparison.Ordinal);
    }

    [Fact]
    public void RedshiftsSerializableIsolationErrorIsRetriedAndOtherErrorsAreNot_CheckedOnTheMessageOnly()
    {
        // As Redshift reports it: "ERROR: 1023 DETAIL: Serializable isolation violation on table - 100, transactions forming the cycle are: 7, 8".
        var redshift = new Npgsql.PostgresException("1023", "ERROR", "ERROR", "XX000", detail: "Serializable isolation violation on table - 100, transactions forming the cycle are: 7, 8");
        var unrelated = new Npgsql.PostgresException("column \"x\" does not exist", "ERROR", "ERROR", "42703");

        Assert.True(Tracking.Consumer.Loading.RedshiftLoader.IsSerializationConflict(redshift));
        Assert.True(Tracking.Consumer.Loading.RedshiftLoader.IsSerializationConflict(new Npgsql.PostgresException("deadlock detected", "ERROR", "ERROR", "40P01")));
        Assert.False(Tracking.Consumer.Loading.RedshiftLoader.IsSerializationConflict(unrelated));
    }
}
