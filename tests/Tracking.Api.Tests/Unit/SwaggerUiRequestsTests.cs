using Tracking.Api.Documentation;

namespace Tracking.Api.Tests.Unit;

public class SwaggerUiRequestsTests
{
    [Fact]
    public void EveryExampleMessageIdIsOneSwaggerUiReplaces()
    {
        var ids = SwaggerUiRequests.ExampleMessageIds().ToList();

        var inExamples = MessageSchemas.Examples.Values.Sum(json => System.Text.RegularExpressions.Regex.Count(json, "\"messageId\""));
        Assert.Equal(inExamples, ids.Count);
        Assert.Contains("5f7d6a2e-1c3b-4f8e-9a51-0d2c7e4b9a10", ids);
    }
}
