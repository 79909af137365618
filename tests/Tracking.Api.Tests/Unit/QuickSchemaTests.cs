using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;
using Tracking.Api.TrackingPlans;

namespace Tracking.Api.Tests.Unit;

/// <summary>The fast check in front of JsonSchema.Net: where it is sure, it must agree with JsonSchema.Net on the verdict and on each broken rule.</summary>
public class QuickSchemaTests
{
    internal const string Schema = """
        {"type":"object","required":["product_id","price","currency"],"description":"bench-like",
         "properties":{"product_id":{"type":"string","minLength":1,"maxLength":8},"category":{"type":"string","enum":["Games","Books"]},
          "price":{"type":"number","minimum":0,"exclusiveMaximum":1000},"quantity":{"type":"integer","minimum":1,"maximum":10},
          "currency":{"type":"string","pattern":"^\\d{3}$|^[A-Z]{3}$"},"coupon":{"type":["string","null"]},"flag":{"const":true},
          "url":{"type":"string","format":"uri"},"email":{"format":"email"},"tags":{"type":"array","items":{"type":"string"},"minItems":1,"maxItems":2},
          "naïve/~name":{"type":"string","maxLength":3,"pattern":"^\\w+$"},"nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn":{"type":"integer"}},
         "additionalProperties":false}
        """;

    private static readonly JsonSerializerOptions Relaxed = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static readonly EvaluationOptions Flag = new() { OutputFormat = OutputFormat.Flag };

    [Fact]
    public void ASchemaOfTheCommonKeywordsCompilesAndClearsAValueThatKeepsToIt()
    {
        var quick = QuickSchema.TryCompile(JsonNode.Parse(Schema));

        Assert.NotNull(quick);
        var violations = new List<PlanViolation>();
        Assert.True(quick.TryCheck(JsonDocument.Parse("""{"product_id":"p1","price":18.99,"currency":"EUR","quantity":2.0,"coupon":null,"flag":true,"url":"https://x.example/a","tags":["a"]}""").RootElement, "/properties", violations));
        Assert.Empty(violations);
    }

    [Theory]
    [InlineData("""{"$ref":"#/x"}""")]
    [InlineData("""{"anyOf":[{"type":"string"}]}""")]
    [InlineData("""{"properties":{"a":{"uniqueItems":true}}}""")]
    [InlineData("""{"format":"no-such-format"}""")]
    [InlineData("""{"type":"strin"}""")]
    public void ASchemaWithAKeywordItDoesNotCheckIsLeftToJsonSchemaNet(string schema)
    {
        Assert.Null(QuickSchema.TryCompile(JsonNode.Parse(schema)));
    }

    [Fact]
    public void OnRandomValuesWhereItIsSureItFindsTheRulesJsonSchemaNetFinds()
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("FUZZ_SEED"), out var fixedSeed) ? fixedSeed : Random.Shared.Next();
        var random = new Random(seed);
        var quick = QuickSchema.TryCompile(JsonNode.Parse(Schema))!;
        var schema = JsonSchema.FromText(Schema);
        var detailed = new EvaluationOptions { OutputFormat = OutputFormat.List };
        JsonNode?[] pool =
        [
            null, true, false, 0, -1, 1, 1.0, 1.5, 10, 11, 999.999, 1000, 1e30, "", "p1", "p123456789", "EUR", "eur", "123", "١٢٣", "Games", "games",
            "https://x.example/a", "not a uri", "a@b.example", "nope", "😀😀😀😀😀😀😀😀", "éé", "ééé", "éééé", "a\"b", "a\\b", "EU\u0000", new string('x', 600), "p" + new string('é', 600), new JsonArray(), new JsonArray("a"), new JsonArray("a", "b", "c"), new JsonArray(1), new JsonObject(),
        ];
        // Mostly values that keep to the schema, so that valid objects are common and each rule is tried alone.
        Dictionary<string, JsonNode?> good = new()
        {
            ["product_id"] = "p1", ["category"] = "Books", ["price"] = 0, ["quantity"] = 10, ["currency"] = "123", ["coupon"] = null,
            ["flag"] = true, ["url"] = "https://x.example/a", ["email"] = "a@b.example", ["tags"] = new JsonArray("a", "b"),
        };
        string[] names = [.. good.Keys, "other", "naïve/~name", new string('n', 135)];
        var (agreedValid, disagreed) = (0, new List<string>());
        for (var i = 0; i < 3000; i++)
        {
            var value = new JsonObject();
            foreach (var name in names)
            {
                var draw = random.Next(20);
                if (draw == 0 || (draw == 1 && name != "other"))
                {
                    value[name] = pool[random.Next(pool.Length)]?.DeepClone();
                }
                else if (draw > 3 && good.TryGetValue(name, out var kept))
                {
                    value[name] = kept?.DeepClone();
                }
            }

            // As the API stores events (UTF-8 as it is) half the time, as escaped as the default writer makes them the other half.
            var element = JsonDocument.Parse(value.ToJsonString(i % 2 == 0 ? Relaxed : JsonSerializerOptions.Default)).RootElement;
            var results = schema.Evaluate(element, detailed);
            var violations = new List<PlanViolation>();
            if (!quick.TryCheck(element, "", violations))
            {
                continue;
            }

            var expected = results.IsValid
                ? []
                : ((IEnumerable<EvaluationResults>)[results, .. results.Details ?? []])
                    .Where(r => !r.IsValid && r.Errors is { Count: > 0 })
                    .SelectMany(r => r.Errors!.Keys.Select(k => $"{Rule(k)} {r.InstanceLocation}"))
                    .Distinct().Order(StringComparer.Ordinal).ToList();
            var found = violations.Select(v => $"{Rule(v.Rule)} {v.Path}").Distinct().Order(StringComparer.Ordinal).ToList();
            if (!expected.SequenceEqual(found))
            {
                disagreed.Add($"{value.ToJsonString()}: JsonSchema.Net [{string.Join("; ", expected)}], quick [{string.Join("; ", found)}]");
            }

            agreedValid += results.IsValid && violations.Count == 0 ? 1 : 0;
        }

        Assert.True(disagreed.Count == 0, $"seed {seed} (FUZZ_SEED to replay): {disagreed.Count} disagree, first {disagreed.FirstOrDefault()}");
        Assert.True(agreedValid > 0, $"seed {seed}: no random value was valid; the test would prove nothing");
    }

    // A false schema: JsonSchema.Net names no keyword, the fast check says which (additionalProperties) or "schema".
    private static string Rule(string keyword) => keyword is "" or "schema" or "additionalProperties" ? "false schema" : keyword;
}
