using System.Text;
using Tracking.Consumer.Regulations;

namespace Tracking.Consumer.Tests.Unit;

/// <summary>The deletion's SQL as text, for the Redshift parts no test database runs as Redshift would.</summary>
public class RegulationSqlTests
{
    [Fact]
    public void EveryStatementTakesItsValuesAsParametersInBothDialects()
    {
        Assert.Equal("DELETE FROM events WHERE user_id = $1", RegulationSql.DeleteEvents(RegulationKinds.UserId));
        Assert.Equal("DELETE FROM events WHERE anonymous_id = $1", RegulationSql.DeleteEvents(RegulationKinds.AnonymousId));
        Assert.Equal(
            "DELETE FROM dead_letters WHERE payload IS NOT NULL AND (strpos(payload, $1) > 0 OR strpos(payload, $2) > 0 OR strpos(payload, $3) > 0)",
            RegulationSql.RedshiftDeleteInlineDeadLetters(3));
        Assert.Equal("DELETE FROM dead_letters WHERE position($1 in payload) > 0 OR position($2 in payload) > 0", RegulationSql.PostgresDeleteDeadLetters(2));
        Assert.Contains("VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)", RegulationSql.InsertRegulation, StringComparison.Ordinal);
    }

    [Fact]
    public void TheRedshiftTableUsesOnlyRedshiftTypesAndNoPostgresOnlyOnes()
    {
        foreach (var type in (string[])["VARCHAR(36)", "VARCHAR(1024)", "TIMESTAMPTZ", "BIGINT", "VARCHAR(4096)"])
        {
            Assert.Contains(type, RegulationSql.RedshiftTable, StringComparison.Ordinal);
        }

        foreach (var postgresOnly in (string[])["uuid", " text", "jsonb", "INDEX", "PRIMARY KEY"])
        {
            Assert.DoesNotContain(postgresOnly, RegulationSql.RedshiftTable, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public void AnIdIsLookedForAsAJsonStringInTheFormsWritersUse()
    {
        var forms = RegulationSql.JsonStringForms("zoë \"q\"").Select(f => Encoding.UTF8.GetString(f)).ToList();

        Assert.Equal(["\"zoë \\\"q\\\"\"", "\"zo\\u00EB \\u0022q\\u0022\"", "\"zo\\u00eb \\u0022q\\u0022\""], forms);
        Assert.Single(RegulationSql.JsonStringForms("u1"));
        Assert.True(RegulationSql.Holds(Encoding.UTF8.GetBytes("{\"userId\":\"u1\"}"), RegulationSql.JsonStringForms("u1")));
        Assert.False(RegulationSql.Holds(Encoding.UTF8.GetBytes("{\"userId\":\"u10\"}"), RegulationSql.JsonStringForms("u1")));
    }
}
