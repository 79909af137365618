using System.Text;
using Tracking.Api.TrackingPlans;
using Tracking.Testing;

namespace Tracking.Api.Tests.Unit;

/// <summary>A plan file that cannot be used is refused with the file and where in it; nothing else escapes the loader.</summary>
public class TrackingPlanLoaderTests
{
    private static string Refusal(string text, string extension = ".json")
    {
        using var folder = new TemporaryFolder();
        var path = Path.Combine(folder.Path, "plan" + extension);
        File.WriteAllText(path, text);
        var error = Assert.Throws<TrackingPlanException>(() => TrackingPlanLoader.Load(path));
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
        return error.Message;
    }

    [Theory]
    [InlineData("{\n  \"track\": {\n    \"A\": {,}\n  }\n}", ".json", "not valid JSON at line 3")]
    [InlineData("track:\n  A:\n    properties: {type: object\n", ".yaml", "not valid YAML at line")]
    [InlineData("track:\n  A: &x {}\n  B: *x\n", ".yml", "Aliases")]
    [InlineData("track: {}\n---\ntrack: {}\n", ".yaml", "one YAML document")]
    [InlineData("track:\n  A: {}\n  A: {}\n", ".yaml", "The key 'A' appears twice")]
    [InlineData("[]", ".json", "the plan must be an object")]
    [InlineData("", ".yaml", "the plan must be an object")]
    [InlineData("""{"tracks":{}}""", ".json", "unknown key 'tracks' at the top")]
    [InlineData("""{"unplanned":"drop"}""", ".json", "'unplanned' is \"drop\": it must be allow or violation")]
    [InlineData("""{"track":[]}""", ".json", "'track' must be an object")]
    [InlineData("""{"track":{"A":{"props":{}}}}""", ".json", "track 'A' has the unknown key 'props'")]
    [InlineData("""{"track":{"A":{"properties":{"type":"strin"}}}}""", ".json", "track 'A' properties is not a valid JSON Schema")]
    [InlineData("""{"track":{"A":{"properties":{"required":"x"}}}}""", ".json", "track 'A' properties is not a valid JSON Schema")]
    [InlineData("""{"track":{"A":{"properties":{"$ref":"#/$defs/missing"}}}}""", ".json", "track 'A' properties is not a valid JSON Schema")]
    [InlineData("""{"track":{"A":{"properties":"object"}}}""", ".json", "track 'A' properties must be a JSON Schema")]
    [InlineData("""{"identify":{"traits":{"type":1}}}""", ".json", "identify traits is not a valid JSON Schema")]
    [InlineData("""{"page":{"":{}}}""", ".json", "'page' lists an empty name")]
    [InlineData("""{"x-observed":{},"track":{"A":{"x-observed":{},"properties":{"x-observed":{}}}}}""", ".json", "track 'A' properties is not a valid JSON Schema")]
    [InlineData("""{"group":{"traits":{"type":"objekt"}}}""", ".json", "group traits is not a valid JSON Schema")]
    public void ABadPlanIsRefusedNamingTheFileAndWhere(string text, string extension, string expected)
    {
        Assert.Contains(expected, Refusal(text, extension), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"x-observed":{"events":3},"track":{"A":{"x-observed":{"events":3},"properties":{"type":"object"}}},"identify":{"x-note":"any","traits":true},"group":{"x-observed":[1]}}""", ".json")]
    [InlineData("x-observed: {events: 3}\ntrack:\n  A:\n    x-observed: {events: 3}\n    properties: {type: object}\ngroup:\n  x-observed: [1]\n", ".yaml")]
    public void KeysStartingWithXAreIgnoredAtTheTopAndInEntriesButNotInSchemasOrAsNames(string text, string extension)
    {
        using var folder = new TemporaryFolder();
        var path = Path.Combine(folder.Path, "plan" + extension);
        File.WriteAllText(path, text);

        var plan = TrackingPlanLoader.Load(path);

        Assert.Equal(["A"], plan.Tracks!.Keys);
        Assert.NotNull(plan.GroupTraits);
        var named = Path.Combine(folder.Path, "named.json");
        File.WriteAllText(named, """{"track":{"x-Custom":{}}}""");
        Assert.Equal(["x-Custom"], TrackingPlanLoader.Load(named).Tracks!.Keys);
    }

    [Fact]
    public void AMissingFileIsRefusedNamingIt()
    {
        var path = Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N"), "plan.json");

        var error = Assert.Throws<TrackingPlanException>(() => TrackingPlanLoader.Load(path));

        Assert.Contains($"'{path}' cannot be read", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AYamlFileNestedDeeperThanTheLimitIsRefusedWithoutOverflowingTheStack()
    {
        var deep = "track:\n  A:\n    properties: " + new string('[', 100_000);

        Assert.Contains("nests deeper than", Refusal(deep, ".yaml"), StringComparison.Ordinal);
    }

    [Fact]
    public void QuotedYamlScalarsStayStringsAndPlainOnesTakeTheirType()
    {
        using var folder = new TemporaryFolder();
        var path = Path.Combine(folder.Path, "plan.yaml");
        File.WriteAllText(path, "track:\n  A:\n    properties:\n      properties:\n        code: { enum: [\"1\", 2, true, ~] }\n");
        var plan = TrackingPlanLoader.Load(path);

        IncomingMessageCheck(plan, """{"code":"1"}""", valid: true);
        IncomingMessageCheck(plan, """{"code":2}""", valid: true);
        IncomingMessageCheck(plan, """{"code":true}""", valid: true);
        IncomingMessageCheck(plan, """{"code":null}""", valid: true);
        IncomingMessageCheck(plan, """{"code":1}""", valid: false);
        IncomingMessageCheck(plan, """{"code":"2"}""", valid: false);
    }

    private static void IncomingMessageCheck(TrackingPlan plan, string properties, bool valid)
    {
        var message = Ingestion.MessageParser.ParseSingle(Encoding.UTF8.GetBytes($$"""{"userId":"u","event":"A","properties":{{properties}}}"""), Events.EventType.Track).Messages.Single();
        Assert.Equal(valid, plan.Check(message) is null);
    }

    public static TheoryData<string, string> Seeds => new()
    {
        { TrackingPlanTests.JsonPlan, ".json" },
        { TrackingPlanTests.YamlPlan, ".yaml" },
    };

    /// <summary>
    /// Thousands of damaged plans (bytes flipped, cut, repeated, structural characters thrown in, schema keywords
    /// swapped): each one loads or is refused with a <see cref="TrackingPlanException"/>; no other exception escapes,
    /// and a plan that loads checks an event without throwing.
    /// </summary>
    [Theory]
    [MemberData(nameof(Seeds))]
    public void DamagedPlansLoadOrAreRefusedButNeverThrowAnythingElse(string seed, string extension)
    {
        var random = new Random(20);
        string[] splices = ["{", "}", "[", "]", ":", ",", "\"", "'", "&a", "*a", "!!binary", "---", "\n  ", "\t", "null", "\"$ref\": \"#/x\"", "$ref: http://127.0.0.1:1/x",
            "\"type\": \"nope\"", "\"minimum\": \"a\"", "\"pattern\": \"(\"", "\"format\": \"email\"", "\\u0000", "\uFFFD", "1e999", "-", "?", "|", ">"];
        using var folder = new TemporaryFolder();
        var path = Path.Combine(folder.Path, "plan" + extension);
        var message = Ingestion.MessageParser.ParseSingle(
            """{"userId":"u","event":"Order Completed","properties":{"orderId":3,"total":-1,"coupon":{"a":[1]}}}"""u8.ToArray(), Events.EventType.Track).Messages.Single();
        int loaded = 0, refused = 0;
        for (var i = 0; i < 1500; i++)
        {
            var text = new StringBuilder(seed);
            for (var edits = random.Next(1, 4); edits > 0; edits--)
            {
                var at = random.Next(text.Length);
                switch (random.Next(4))
                {
                    case 0:
                        text.Remove(at, Math.Min(random.Next(1, 12), text.Length - at));
                        break;
                    case 1:
                        text.Insert(at, splices[random.Next(splices.Length)]);
                        break;
                    case 2:
                        text[at] = (char)random.Next(32, 127);
                        break;
                    default:
                        text.Length = at;
                        break;
                }
            }

            File.WriteAllText(path, text.ToString());
            try
            {
                var plan = TrackingPlanLoader.Load(path);
                plan.Check(message);
                loaded++;
            }
            catch (TrackingPlanException)
            {
                refused++;
            }
        }

        Assert.True(loaded > 0 && refused > 0, $"loaded {loaded}, refused {refused}: the fuzzing should reach both outcomes");
    }
}
