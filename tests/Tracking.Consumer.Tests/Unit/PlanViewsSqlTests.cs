using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Hosting.Internal;
using Tracking.Consumer.Warehouse;
using Tracking.Plans;

namespace Tracking.Consumer.Tests.Unit;

/// <summary>The per-event views' names and Redshift text (Redshift's SUPER navigation has no PostgreSQL stand-in), and the plan settings' checks.</summary>
public sealed class PlanViewsSqlTests
{
    private static IReadOnlyList<PlanView> Views(string plan, bool redshift, string source = "web") =>
        PlanViews.For([(source, PlanDocument.Parse(JsonNode.Parse(plan), "test"))], redshift);

    [Fact]
    public void OnRedshiftPropertiesAreGuardedByTheirJsonTypeAndTheFilterLiteralsEscapeBackslashes()
    {
        var view = Views("""{"track": {"Order \\ 'Done'": {"properties": {"properties": {"orderId": {"type": "string"}, "n": {"type": "integer"}, "x": {"type": "number"}, "ok": {"type": "boolean"}, "at": {"type": "string", "format": "date-time"}, "o": {"type": "object"}}}}}}""", redshift: true).Single();

        Assert.Equal("web_order_done", view.Name);
        Assert.Contains("""CASE WHEN JSON_TYPEOF(properties."orderId") = 'string' THEN CAST(properties."orderId" AS VARCHAR(65535)) END AS "order_id" """.TrimEnd(), view.Statement, StringComparison.Ordinal);
        Assert.Contains("""CASE WHEN IS_BIGINT(properties."n") THEN CAST(properties."n" AS BIGINT) END AS "n" """.TrimEnd(), view.Statement, StringComparison.Ordinal);
        Assert.Contains("""CASE WHEN JSON_TYPEOF(properties."x") = 'number' THEN CAST(properties."x" AS DOUBLE PRECISION) END AS "x" """.TrimEnd(), view.Statement, StringComparison.Ordinal);
        Assert.Contains("""CASE WHEN JSON_TYPEOF(properties."ok") = 'boolean' THEN CAST(properties."ok" AS BOOLEAN) END AS "ok" """.TrimEnd(), view.Statement, StringComparison.Ordinal);
        Assert.Contains("""CASE WHEN JSON_TYPEOF(properties."o") = 'object' THEN properties."o" END AS "o" """.TrimEnd(), view.Statement, StringComparison.Ordinal);
        Assert.Contains("THEN CAST(CAST(properties.\"at\" AS VARCHAR(65535)) AS TIMESTAMPTZ) END END END AS \"at\"", view.Statement, StringComparison.Ordinal);
        Assert.Contains("LAST_DAY(TO_DATE(", view.Statement, StringComparison.Ordinal);
        Assert.EndsWith("WHERE type = 'track' AND source = 'web' AND event = 'Order \\\\ ''Done'''", view.Statement, StringComparison.Ordinal);
        Assert.Contains("CASE WHEN JSON_SIZE(context) <= 65535 THEN NULLIF(JSON_EXTRACT_PATH_TEXT(JSON_SERIALIZE(context), 'ip'), '') END AS context_ip", view.Statement, StringComparison.Ordinal);
    }

    [Fact]
    public void OnPostgresLiteralsAreEscapeStringsReadAlikeWhateverStandardConformingStringsSays()
    {
        var view = Views("""{"track": {"A\\'B": {"properties": {"properties": {"k\\'": {"type": "string"}}}}}}""", redshift: false).Single();

        Assert.Contains("(properties ->> E'k\\\\''')", view.Statement, StringComparison.Ordinal);
        Assert.EndsWith("source = E'web' AND event = E'A\\\\''B'", view.Statement, StringComparison.Ordinal);
    }

    [Fact]
    public void ColumnsThatMeetAfterSluggingOrMeetACommonColumnGetAStableSuffix()
    {
        const string Plan = """{"track": {"E": {"properties": {"properties": {"Order Id": {}, "order_id": {}, "ORDER-ID": {}, "event": {}, "id": {}, "注文": {}}}}}}""";
        const string Reordered = """{"track": {"E": {"properties": {"properties": {"注文": {}, "id": {}, "ORDER-ID": {}, "event": {}, "order_id": {}, "Order Id": {}}}}}}""";

        var columns = Columns(Views(Plan, redshift: false).Single().Statement);

        Assert.Equal(6, columns.Length);
        Assert.Contains("order_id", columns);
        Assert.Equal(2, columns.Count(c => Regex.IsMatch(c, "^order_id_[0-9a-f]{8}$")));
        Assert.Single(columns, c => Regex.IsMatch(c, "^event_[0-9a-f]{8}$"));
        Assert.Single(columns, c => Regex.IsMatch(c, "^id_[0-9a-f]{8}$"));
        Assert.Single(columns, c => Regex.IsMatch(c, "^property_[0-9a-f]{8}$"));
        Assert.Equal(columns.Length, columns.Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(columns.Order(StringComparer.Ordinal), Columns(Views(Reordered, redshift: false).Single().Statement).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void ViewNamesStayWithinTheIdentifierLimitAndNeverTakeAFixedName()
    {
        var longName = new string('x', 200);
        IReadOnlyList<PlanView> Make(bool redshift) => PlanViews.For(
            [
                ("shard", PlanDocument.Parse(JsonNode.Parse("""{"track": {"leases": {}}}"""), "a")),
                ("plan", PlanDocument.Parse(JsonNode.Parse("""{"track": {"views": {}}}"""), "b")),
                ("web", PlanDocument.Parse(JsonNode.Parse("{\"track\": {\"" + longName + "\": {}, \"" + longName + "y\": {}, \"Ä\": {}}}"), "c")),
            ],
            redshift);
        var views = Make(redshift: false);

        Assert.All(views, v => Assert.InRange(v.Name.Length, 1, PlanViewNames.PostgresLimit));
        Assert.All(views, v => Assert.DoesNotContain(v.Name, PlanViews.FixedNames));
        Assert.Equal(views.Count, views.Select(v => v.Name).Distinct().Count());
        Assert.Matches("^shard_leases_[0-9a-f]{8}$", views.Single(v => v.Source == "shard").Name);
        Assert.Matches("^web_event_[0-9a-f]{8}$", views.Single(v => v.Event == "Ä").Name);
        Assert.Equal(views.Select(v => v.Name), Make(redshift: false).Select(v => v.Name));
        Assert.Equal(2, Make(redshift: true).Count(v => v.Name.Length == PlanViewNames.RedshiftLimit));
    }

    [Fact]
    public void AMissingOrBrokenPlanFileIsRefusedNamingTheSettingAndTheFile()
    {
        var folder = Directory.CreateTempSubdirectory("plans-").FullName;
        File.WriteAllText(Path.Combine(folder, "broken.yaml"), "track: [");
        File.WriteAllText(Path.Combine(folder, "good.json"), """{"track": {"A": {}}}""");
        var validator = new PlanViewOptionsValidator(new HostingEnvironment { ContentRootPath = folder });
        var options = new PlanViewOptions();
        options.TrackingPlans["web"] = new PlanViewSourceOptions { Path = "good.json" };
        options.TrackingPlans["app"] = new PlanViewSourceOptions { Path = "missing.json" };
        options.TrackingPlans["tv"] = new PlanViewSourceOptions { Path = "broken.yaml" };
        options.TrackingPlans["box"] = new PlanViewSourceOptions();

        var failures = validator.Validate(null, options).Failures!.ToList();

        Assert.Equal(3, failures.Count);
        Assert.Contains(failures, f => f.StartsWith("Consumer:TrackingPlans:app:Path: the tracking plan file '", StringComparison.Ordinal) && f.Contains("missing.json", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Consumer:TrackingPlans:tv:Path: the tracking plan file '", StringComparison.Ordinal) && f.Contains("not valid YAML", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Consumer:TrackingPlans:box:Path is empty", StringComparison.Ordinal));
        Assert.All(failures, f => Assert.DoesNotContain('\n', f));
    }

    private static string[] Columns(string statement) =>
        [.. Regex.Matches(statement, "AS \"([a-z0-9_]+)\"").Select(m => m.Groups[1].Value)];
}
