using Tracking.Consumer.Warehouse;

namespace Tracking.Consumer.Tests.Unit;

/// <summary>
/// The Redshift text of the Segment-shaped views, where it differs from what its rehearsal on PostgreSQL can show:
/// JSON read with case-exact paths (never SUPER navigation, which folds <c>userAgent</c> to lower case), a missing
/// key NULL rather than Redshift's empty string, every run of other characters slugged, and no PostgreSQL-only syntax.
/// </summary>
public class SegmentViewsSqlTests
{
    private static readonly string Redshift = string.Join(";\n", SegmentViews.Create(redshift: true));
    private static readonly string Postgres = string.Join(";\n", SegmentViews.Create(redshift: false));

    [Fact]
    public void RedshiftReadsContextKeysByExactPathAndGivesNullForAMissingOne()
    {
        Assert.Contains("CASE WHEN JSON_SIZE(context) <= 65535 THEN NULLIF(JSON_EXTRACT_PATH_TEXT(JSON_SERIALIZE(context), 'userAgent'), '') END AS context_user_agent", Redshift, StringComparison.Ordinal);
        Assert.Contains("CASE WHEN JSON_SIZE(context) <= 65535 THEN NULLIF(JSON_EXTRACT_PATH_TEXT(JSON_SERIALIZE(context), 'page', 'url'), '') END AS context_page_url", Redshift, StringComparison.Ordinal);
        Assert.DoesNotContain("context.", Redshift, StringComparison.Ordinal);
    }

    [Fact]
    public void RedshiftUsesNoPostgresOnlySyntax()
    {
        foreach (var postgresOnly in new[] { "->>", "#>>", "DISTINCT ON", "LATERAL", "jsonb", "'g')" })
        {
            Assert.DoesNotContain(postgresOnly, Redshift, StringComparison.OrdinalIgnoreCase);
        }

        // Redshift's three-argument REGEXP_REPLACE replaces every match; PostgreSQL's needs the 'g' flag.
        Assert.Contains("BTRIM(REGEXP_REPLACE(LOWER(event), '[^a-z0-9]+', '_'), '_') AS event", Redshift, StringComparison.Ordinal);
        Assert.Contains("btrim(regexp_replace(lower(event), '[^a-z0-9]+', '_', 'g'), '_') AS event", Postgres, StringComparison.Ordinal);
    }

    [Fact]
    public void EveryViewIsCreatedInBothDialectsFromTheSameColumns()
    {
        Assert.Equal(SegmentViews.Names.Count, SegmentViews.Create(redshift: true).Count);
        Assert.Equal(SegmentViews.Names.Count, SegmentViews.Create(redshift: false).Count);
        foreach (var name in SegmentViews.Names)
        {
            Assert.Contains($"CREATE VIEW {name} AS", Redshift, StringComparison.Ordinal);
            Assert.Contains($"CREATE VIEW {name} AS", Postgres, StringComparison.Ordinal);
        }

        foreach (var column in SegmentViews.ContextColumns)
        {
            Assert.Equal(6, CountOf(Redshift, $" AS {column.Name},"));
            Assert.Equal(6, CountOf(Postgres, $" AS {column.Name},"));
        }
    }

    private static int CountOf(string text, string part) =>
        (text.Length - text.Replace(part, string.Empty, StringComparison.Ordinal).Length) / part.Length;

    [Fact]
    public void RedshiftReplacesTheViewsInPlaceWithTheSameColumns()
    {
        var replaced = SegmentViews.Create(redshift: true, replace: true);

        Assert.Equal(SegmentViews.Create(redshift: true).Select(s => s.Replace("CREATE VIEW", "CREATE OR REPLACE VIEW", StringComparison.Ordinal)), replaced);
        Assert.All(replaced, s => Assert.StartsWith("CREATE OR REPLACE VIEW ", s.TrimStart(), StringComparison.Ordinal));
    }
}
