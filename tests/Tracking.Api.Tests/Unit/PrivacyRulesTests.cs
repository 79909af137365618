using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Tracking.Api.Privacy;

namespace Tracking.Api.Tests.Unit;

public class PrivacyRulesTests
{
    private const string HashKey = "a-hash-key-of-at-least-32-characters!";

    private static PrivacyRuleOptions Rule(string path, PrivacyAction action, int keep = 0) => new() { Path = path, Action = action, Keep = keep };

    private static SourceRules Compile(params PrivacyRuleOptions[] rules) => new(rules, Encoding.UTF8.GetBytes(HashKey));

    private static string Apply(SourceRules rules, string json) => Encoding.UTF8.GetString(rules.Apply(Encoding.UTF8.GetBytes(json)));

    private static string Hmac(string text) => Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(HashKey), Encoding.UTF8.GetBytes(text)));

    [Fact]
    public void AHashedEmailBecomesTheHmacOfItsTextAndTheSameEmailAlwaysTheSameToken()
    {
        var rules = Compile(Rule("properties.email", PrivacyAction.Hash));

        var first = JsonNode.Parse(Apply(rules, """{"type":"track","properties":{"email":"ann@example.com","plan":"pro"}}"""))!;
        var second = JsonNode.Parse(Apply(rules, """{"type":"identify","properties":{"email":"ann@example.com"}}"""))!;

        Assert.Equal(Hmac("ann@example.com"), (string)first["properties"]!["email"]!);
        Assert.Equal((string)first["properties"]!["email"]!, (string)second["properties"]!["email"]!);
        Assert.Equal("pro", (string)first["properties"]!["plan"]!);
    }

    [Fact]
    public void ADroppedMemberIsGoneAndEverythingElseIsCopiedByteForByte()
    {
        var rules = Compile(Rule("traits.phone", PrivacyAction.Drop));

        var result = Apply(rules, """{"type":"identify","userId":"u1","traits":{"name":"Ann","phone":"+15551234567","age":41},"context":{"ip":"203.0.113.7"}}""");

        Assert.Equal("""{"type":"identify","userId":"u1","traits":{"name":"Ann","age":41},"context":{"ip":"203.0.113.7"}}""", result);
    }

    [Fact]
    public void AMaskKeepsOnlyTheLastCharactersAskedFor()
    {
        var rules = Compile(Rule("traits.phone", PrivacyAction.Mask, keep: 4), Rule("traits.pin", PrivacyAction.Mask, keep: 4), Rule("context.ip", PrivacyAction.Mask));

        var result = JsonNode.Parse(Apply(rules, """{"traits":{"phone":"+15551234567","pin":"1234"},"context":{"ip":"203.0.113.7"}}"""))!;

        Assert.Equal("********4567", (string)result["traits"]!["phone"]!);
        Assert.Equal("****", (string)result["traits"]!["pin"]!);
        Assert.Equal("***********", (string)result["context"]!["ip"]!);
    }

    [Fact]
    public void AWildcardReachesEveryMemberAndEveryValueUnderIt()
    {
        var rules = Compile(Rule("context.traits.*", PrivacyAction.Hash));

        var result = JsonNode.Parse(Apply(rules, """{"context":{"traits":{"email":"a@b.c","age":41,"vip":true,"gone":null,"address":{"city":"Oslo"},"tags":["x",7]},"locale":"nb-NO"}}"""))!;
        var traits = result["context"]!["traits"]!;

        Assert.Equal(Hmac("a@b.c"), (string)traits["email"]!);
        Assert.Equal(Hmac("41"), (string)traits["age"]!);
        Assert.Equal(Hmac("true"), (string)traits["vip"]!);
        Assert.Null(traits["gone"]);
        Assert.True(traits.AsObject().ContainsKey("gone"));
        Assert.Equal(Hmac("Oslo"), (string)traits["address"]!["city"]!);
        Assert.Equal(Hmac("x"), (string)traits["tags"]![0]!);
        Assert.Equal(Hmac("7"), (string)traits["tags"]![1]!);
        Assert.Equal("nb-NO", (string)result["context"]!["locale"]!);
    }

    [Fact]
    public void ArraysOnThePathAreLookedThroughToEachElement()
    {
        var rules = Compile(Rule("properties.products.sku", PrivacyAction.Drop));

        var result = Apply(rules, """{"properties":{"products":[{"sku":"A","price":1},{"price":2},"loose",{"sku":{"deep":1}}]}}""");

        Assert.Equal("""{"properties":{"products":[{"price":1},{"price":2},"loose",{}]}}""", result);
    }

    [Fact]
    public void AnEventWithoutTheRulesPathsIsUnchangedByteForByte()
    {
        var rules = Compile(Rule("properties.email", PrivacyAction.Hash), Rule("traits.phone", PrivacyAction.Drop), Rule("context.traits.*", PrivacyAction.Mask));
        const string Event = """{"type":"track","event":"Viewed","properties":{"emails":["x"],"nested":{"email":"not at the path"}},"traits":"not an object","context":{"traits":[],"ip":"203.0.113.7","text":"å \"quoted\" \u2028"}}""";

        Assert.Equal(Event, Apply(rules, Event));
    }

    [Fact]
    public void AnEscapedMemberNameIsMatchedByWhatItSpells()
    {
        var rules = Compile(Rule("properties.email", PrivacyAction.Drop));

        Assert.Equal("""{"properties":{}}""", Apply(rules, """{"properties":{"em\u0061il":"ann@example.com"}}"""));
    }

    [Fact]
    public void RulesOnOneValueApplyInTheOrderListed()
    {
        var hashThenMask = Compile(Rule("traits.*", PrivacyAction.Hash), Rule("traits.email", PrivacyAction.Mask, keep: 4));

        var result = JsonNode.Parse(Apply(hashThenMask, """{"traits":{"email":"ann@example.com"}}"""))!;

        var token = Hmac("ann@example.com");
        Assert.Equal(new string('*', 60) + token[^4..], (string)result["traits"]!["email"]!);
    }

    [Fact]
    public void EverySourceRulesComeFirstAndASourceWithoutItsOwnGetsOnlyThose()
    {
        var options = new PrivacyOptions { HashKey = HashKey };
        options.Sources["*"] = [Rule("context.ip", PrivacyAction.Drop)];
        options.Sources["web"] = [Rule("properties.email", PrivacyAction.Drop)];
        var privacy = new PrivacyRules(Options.Create(options));
        const string Event = """{"properties":{"email":"e"},"context":{"ip":"1.2.3.4"}}""";

        Assert.Equal("""{"properties":{},"context":{}}""", Apply(privacy.For("web")!, Event));
        Assert.Equal("""{"properties":{"email":"e"},"context":{}}""", Apply(privacy.For("ios")!, Event));
        Assert.Null(new PrivacyRules(Options.Create(new PrivacyOptions())).For("web"));
    }

    [Theory]
    [InlineData("", "Path is empty")]
    [InlineData("properties..email", "empty member name")]
    [InlineData("properties.", "empty member name")]
    [InlineData("properties.e mail", "no spaces")]
    [InlineData("properties.em*", "'*' stands alone")]
    [InlineData("userId", "may not touch the top-level 'userId'")]
    [InlineData("*", "may not touch the top-level '*'")]
    [InlineData("messageId", "may not touch the top-level 'messageId'")]
    public void AnUnusablePathIsRefusedNamingTheSetting(string path, string reason)
    {
        var options = new PrivacyOptions();
        options.Sources["web"] = [Rule("properties.ok", PrivacyAction.Drop), Rule(path, PrivacyAction.Drop)];

        var result = new PrivacyOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        var failure = Assert.Single(result.Failures!);
        Assert.StartsWith("Tracking:Privacy:Sources:web:1:Path ", failure, StringComparison.Ordinal);
        Assert.Contains(reason, failure, StringComparison.Ordinal);
    }

    [Fact]
    public void AHashRuleWithoutAHashKeyIsRefusedNamingTheKeysSetting()
    {
        var options = new PrivacyOptions();
        options.Sources["web"] = [Rule("properties.email", PrivacyAction.Hash)];

        var result = new PrivacyOptionsValidator().Validate(null, options);

        Assert.Contains(result.Failures!, f => f.StartsWith("Tracking:Privacy:HashKey is not set", StringComparison.Ordinal));
    }

    [Fact]
    public void AShortHashKeyAMissingActionAndANegativeKeepAreEachRefused()
    {
        var options = new PrivacyOptions { HashKey = "short" };
        options.Sources["web"] = [new PrivacyRuleOptions { Path = "properties.email" }, Rule("traits.phone", PrivacyAction.Mask, keep: -1)];

        var failures = new PrivacyOptionsValidator().Validate(null, options).Failures!.ToList();

        Assert.Contains("Tracking:Privacy:Sources:web:0:Action must be Drop, Hash or Mask.", failures);
        Assert.Contains("Tracking:Privacy:Sources:web:1:Keep must be between 0 and 64; it is -1.", failures);
        Assert.Contains("Tracking:Privacy:HashKey must be at least 32 characters; it has 5.", failures);
    }

    /// <summary>
    /// Random events (nested objects, arrays of mixed values, numbers, booleans, nulls, escaped names) against random
    /// rules, checked against a plain reference written over JsonNode: same result, always valid JSON.
    /// </summary>
    [Fact]
    public void RandomRulesOnRandomEventsGiveWhatTheReferenceGives()
    {
        var random = new Random(19);
        string[] names = ["properties", "traits", "context", "email", "phone", "a", "b", "items"];
        PrivacyAction[] actions = [PrivacyAction.Drop, PrivacyAction.Hash, PrivacyAction.Mask];
        for (var round = 0; round < 2_000; round++)
        {
            var ruleCount = random.Next(1, 5);
            var rules = new PrivacyRuleOptions[ruleCount];
            for (var r = 0; r < ruleCount; r++)
            {
                var depth = random.Next(1, 4);
                var segments = Enumerable.Range(0, depth).Select(d => d > 0 && random.Next(4) == 0 ? "*" : names[random.Next(d == 0 ? 3 : names.Length)]);
                rules[r] = Rule(string.Join('.', segments), actions[random.Next(actions.Length)], random.Next(3));
            }

            var root = new JsonObject { ["type"] = "track", ["userId"] = "u" };
            foreach (var top in names.Take(3).Where(_ => random.Next(3) > 0))
            {
                root[top] = RandomValue(random, names, 3);
            }

            var json = root.ToJsonString();
            var actual = Apply(Compile(rules), json);
            var expected = Reference(JsonNode.Parse(json)!, rules);

            Assert.True(JsonNode.DeepEquals(expected, JsonNode.Parse(actual)), $"Rules {string.Join(", ", rules.Select(r => $"{r.Path}={r.Action}/{r.Keep}"))} on {json}: got {actual}, expected {expected.ToJsonString()}");
        }
    }

    private static JsonNode? RandomValue(Random random, string[] names, int depth)
    {
        switch (random.Next(depth <= 0 ? 4 : 7))
        {
            case 0: return JsonValue.Create(random.Next(3) == 0 ? "ünï\"cødé\u2028" : "v" + random.Next(100));
            case 1: return JsonValue.Create(random.Next(2) == 0 ? random.Next(-1000, 1000) : random.NextDouble() * 1e6);
            case 2: return JsonValue.Create(random.Next(2) == 0);
            case 3: return null;
            case 4:
            case 5:
                var obj = new JsonObject();
                foreach (var name in names.Where(_ => random.Next(3) == 0))
                {
                    obj[name] = RandomValue(random, names, depth - 1);
                }

                return obj;
            default:
                var array = new JsonArray();
                for (var i = random.Next(4); i > 0; i--)
                {
                    array.Add(RandomValue(random, names, depth - 1));
                }

                return array;
        }
    }

    /// <summary>The rules' meaning, spelt out: a drop removes a member its path names; a value takes every hash or mask whose path names it or an ancestor, in order.</summary>
    private static JsonNode Reference(JsonNode root, PrivacyRuleOptions[] rules)
    {
        var paths = rules.Select(r => r.Path!.Split('.')).ToArray();
        bool Names(string[] rule, List<string> path) => rule.Length == path.Count && rule.Zip(path).All(p => p.First == "*" || p.First == p.Second);

        JsonNode? Walk(JsonNode? node, List<string> path)
        {
            switch (node)
            {
                case JsonObject obj:
                    var copy = new JsonObject();
                    foreach (var (name, value) in obj)
                    {
                        List<string> child = [.. path, name];
                        if (!Enumerable.Range(0, rules.Length).Any(i => rules[i].Action == PrivacyAction.Drop && Names(paths[i], child)))
                        {
                            copy[name] = Walk(value, child);
                        }
                    }

                    return copy;
                case JsonArray array:
                    return new JsonArray([.. array.Select(e => Walk(e, path))]);
                case null:
                    return null;
                default:
                    var applying = Enumerable.Range(0, rules.Length).Where(i => Enumerable.Range(1, path.Count).Any(n => Names(paths[i], path[..n]))).ToList();
                    if (applying.Count == 0)
                    {
                        return node.DeepClone();
                    }

                    var text = node.GetValueKind() switch
                    {
                        JsonValueKind.String => node.GetValue<string>(),
                        _ => node.ToJsonString(),
                    };
                    foreach (var i in applying)
                    {
                        text = rules[i].Action == PrivacyAction.Hash ? Hmac(text) : ReferenceMask(text, rules[i].Keep);
                    }

                    return JsonValue.Create(text);
            }
        }

        return Walk(root, [])!;
    }

    private static string ReferenceMask(string text, int keep)
    {
        var runes = text.EnumerateRunes().Select(r => r.ToString()).ToList();
        var kept = runes.Count <= 2 * keep ? 0 : keep;
        return new string('*', runes.Count - kept) + string.Concat(runes.Skip(runes.Count - kept));
    }
}
