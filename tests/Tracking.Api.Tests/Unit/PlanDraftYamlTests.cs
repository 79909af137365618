using System.Text.Json.Nodes;
using Tracking.Api.TrackingPlans;

namespace Tracking.Api.Tests.Unit;

/// <summary>The YAML a draft is written as reads back, with the plan loader's YAML reader, to the very same plan.</summary>
public class PlanDraftYamlTests
{
    [Theory]
    [InlineData("Order Completed")]
    [InlineData("null")]
    [InlineData("Yes")]
    [InlineData("1")]
    [InlineData("1.5")]
    [InlineData("a: b")]
    [InlineData("#hash")]
    [InlineData("- dash")]
    [InlineData("trailing ")]
    [InlineData(" leading")]
    [InlineData("quote \" and \\ backslash")]
    [InlineData("emoji 😀 and é")]
    [InlineData("tab\tand\u2028separator")]
    [InlineData("{[*&!|>%@`]}")]
    [InlineData("x-observed")]
    public void EveryNameAndStringReadsBackAsItWas(string text)
    {
        var plan = new JsonObject
        {
            ["description"] = text,
            ["track"] = new JsonObject
            {
                [text] = new JsonObject
                {
                    ["properties"] = new JsonObject
                    {
                        ["enum"] = new JsonArray(text, 1, true, null),
                        ["properties"] = new JsonObject { [text] = new JsonObject { ["type"] = "string" } },
                    },
                },
            },
        };

        var read = YamlToJson.Convert(new StringReader(PlanDraftYaml.Write(plan)));

        Assert.True(JsonNode.DeepEquals(plan, read), $"{PlanDraftYaml.Write(plan)} reads as {read?.ToJsonString()}");
    }
}
