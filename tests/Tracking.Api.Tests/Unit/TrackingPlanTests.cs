using System.Text;
using System.Text.Json.Nodes;
using Tracking.Api.Ingestion;
using Tracking.Api.TrackingPlans;
using Tracking.Events;
using Tracking.Testing;

namespace Tracking.Api.Tests.Unit;

public class TrackingPlanTests
{
    internal const string JsonPlan = """
        {
          "description": "The shop's plan",
          "unplanned": "violation",
          "track": {
            "Order Completed": {
              "description": "A customer paid.",
              "properties": {
                "type": "object",
                "required": ["orderId", "total"],
                "properties": {
                  "orderId": { "type": "string" },
                  "total": { "type": "number", "minimum": 0 },
                  "coupon": { "type": ["string", "null"] }
                }
              }
            },
            "Signed Up": null
          },
          "identify": { "traits": { "type": "object", "properties": { "email": { "type": "string", "format": "email" }, "age": { "type": "integer" } } } },
          "page": { "Home": {} }
        }
        """;

    internal const string YamlPlan = """
        description: The shop's plan
        unplanned: violation
        track:
          Order Completed:
            description: A customer paid.
            properties:
              type: object
              required: [orderId, total]
              properties:
                orderId: { type: string }
                total: { type: number, minimum: 0 }
                coupon: { type: [string, "null"] }
          Signed Up:
        identify:
          traits:
            type: object
            properties:
              email: { type: string, format: email }
              age: { type: integer }
        page:
          Home: {}
        """;

    private static IncomingMessage Message(string json, EventType type = EventType.Track) =>
        MessageParser.ParseSingle(Encoding.UTF8.GetBytes(json), type).Messages.Single();

    private static TrackingPlan Load(string text, string extension)
    {
        using var folder = new TemporaryFolder();
        var path = Path.Combine(folder.Path, "plan" + extension);
        File.WriteAllText(path, text);
        return TrackingPlanLoader.Load(path);
    }

    public static TheoryData<string, string> BothForms => new() { { JsonPlan, ".json" }, { YamlPlan, ".yaml" } };

    [Theory]
    [MemberData(nameof(BothForms))]
    public void AnEventThatKeepsToThePlanHasNoViolations(string text, string extension)
    {
        var plan = Load(text, extension);

        Assert.Null(plan.Check(Message("""{"userId":"u","event":"Order Completed","properties":{"orderId":"o1","total":9.5,"coupon":null}}""")));
        Assert.Null(plan.Check(Message("""{"userId":"u","event":"Signed Up","properties":{"anything":[1,2]}}""")));
        Assert.Null(plan.Check(Message("""{"userId":"u","traits":{"email":"a@b.example","age":3}}""", EventType.Identify)));
        Assert.Null(plan.Check(Message("""{"userId":"u","name":"Home"}""", EventType.Page)));
    }

    [Theory]
    [MemberData(nameof(BothForms))]
    public void EachBrokenRuleIsRecordedWithItsKeywordAndThePathIntoTheEvent(string text, string extension)
    {
        var plan = Load(text, extension);

        var violations = plan.Check(Message("""{"userId":"u","event":"Order Completed","properties":{"total":"9.50"}}"""));

        Assert.NotNull(violations);
        Assert.Contains(violations, v => v.Rule == "required" && v.Path == "/properties" && v.Message.Contains("orderId", StringComparison.Ordinal));
        Assert.Contains(violations, v => v.Rule == "type" && v.Path == "/properties/total");
        Assert.Equal(2, violations.Count);
    }

    [Fact]
    public void ANumberOutsideItsBoundIsNamedByTheKeywordWithoutTheNumberSent()
    {
        var plan = Load(JsonPlan, ".json");

        var violation = Assert.Single(plan.Check(Message("""{"userId":"u","event":"Order Completed","properties":{"orderId":"o","total":-98765.4321}}"""))!);

        Assert.Equal(("minimum", "/properties/total"), (violation.Rule, violation.Path));
        Assert.DoesNotContain("98765", violation.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void IdentifyTraitsAreCheckedAgainstTheTraitsSchema()
    {
        var plan = Load(JsonPlan, ".json");

        var violations = plan.Check(Message("""{"userId":"u","traits":{"age":"old"}}""", EventType.Identify));

        var violation = Assert.Single(violations!);
        Assert.Equal(("type", "/traits/age"), (violation.Rule, violation.Path));
    }

    [Fact]
    public void GroupTraitsAreCheckedAgainstTheGroupSchemaAndNotAtAllWithoutOne()
    {
        var plan = Load("""{"group":{"traits":{"type":"object","required":["name"],"properties":{"employees":{"type":"integer"}}}}}""", ".json");
        var without = Load(JsonPlan, ".json");
        var group = Message("""{"userId":"u","groupId":"g","traits":{"employees":"many"}}""", EventType.Group);

        var violations = plan.Check(group)!;

        Assert.Equal([("required", "/traits"), ("type", "/traits/employees")], violations.Select(v => (v.Rule, v.Path)).Order());
        Assert.Null(without.Check(group));
    }

    [Fact]
    public void AnUnplannedEventIsAViolationOnlyWhenThePlanSaysSo()
    {
        var strict = Load(JsonPlan, ".json");
        var lenient = Load(JsonPlan.Replace("\"violation\"", "\"allow\"", StringComparison.Ordinal), ".json");
        var unplanned = Message("""{"userId":"u","event":"Cart Abandoned"}""");

        var violation = Assert.Single(strict.Check(unplanned)!);
        Assert.Equal(("unplanned", "/event"), (violation.Rule, violation.Path));
        Assert.Null(lenient.Check(unplanned));
        Assert.Equal("/name", Assert.Single(strict.Check(Message("""{"userId":"u","name":"Pricing"}""", EventType.Page))!).Path);
    }

    [Fact]
    public void ASectionThePlanLeavesOutIsNotChecked()
    {
        var plan = Load(JsonPlan, ".json");

        Assert.Null(plan.Check(Message("""{"userId":"u","name":"Any Screen"}""", EventType.Screen)));
        Assert.Null(plan.Check(Message("""{"userId":"u","groupId":"g"}""", EventType.Group)));
    }

    [Fact]
    public void AnEventBreakingManyRulesRecordsAtMostTheLimitAndSaysHowManyMore()
    {
        var properties = string.Join(",", Enumerable.Range(0, 50).Select(i => $"\"p{i}\":{{\"type\":\"string\"}}"));
        var plan = TrackingPlanLoader.Compile(JsonNode.Parse("{\"track\":{\"E\":{\"properties\":{\"properties\":{" + properties + "}}}}}"), "test");
        var values = string.Join(",", Enumerable.Range(0, 50).Select(i => $"\"p{i}\":{i}"));

        var violations = plan.Check(Message("{\"userId\":\"u\",\"event\":\"E\",\"properties\":{" + values + "}}"))!;

        Assert.Equal(TrackingPlan.MaxViolations, violations.Count);
        Assert.Equal("more", violations[^1].Rule);
        Assert.Contains("31 more", violations[^1].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AFalseSchemaRefusesEveryEventWithOneViolation()
    {
        var plan = TrackingPlanLoader.Compile(JsonNode.Parse("""{"track":{"Retired":{"properties":false}}}"""), "test");

        Assert.NotEmpty(plan.Check(Message("""{"userId":"u","event":"Retired"}"""))!);
    }
}
