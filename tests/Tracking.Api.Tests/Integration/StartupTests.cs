using System.Net;
using System.Reflection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Tracking.Api.Tests.Support;

namespace Tracking.Api.Tests.Integration;

public class StartupTests
{
    /// <summary>
    /// Runs the API's real entry point as <c>dotnet Tracking.Api.dll</c> would, with settings on the
    /// command line, and returns why it refused to start. (WebApplicationFactory reports a failed
    /// start as a disposed service provider, hiding the reason a user would see.)
    /// </summary>
    private static async Task<Exception> StartFailsAsync(string environment, params string[] settings)
    {
        var outbox = Path.Combine(Path.GetTempPath(), "tracking-tests", Guid.NewGuid().ToString("N"));
        string[] args = [$"--environment={environment}", "--urls=http://127.0.0.1:0", $"--Tracking:File:Directory={outbox}", .. settings];
        var run = Task.Run(() => typeof(Program).Assembly.EntryPoint!.Invoke(null, [args]));
        var ex = await Assert.ThrowsAsync<TargetInvocationException>(() => run.WaitAsync(TimeSpan.FromSeconds(30)));
        return ex.InnerException!;
    }

    [Fact]
    public async Task ProductionWithoutWriteKeysRefusesToStartAndSaysWhy()
    {
        var ex = await StartFailsAsync("Production");

        Assert.IsType<OptionsValidationException>(ex);
        Assert.Contains("No write keys are configured and the environment is 'Production'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DevelopmentWithoutWriteKeysWarnsAtStartUpAndAcceptsAnyKey()
    {
        var logs = new CapturedLogs();
        await using var api = new TrackingApiFactory(environment: "Development", withWriteKey: false, services: s => s.AddSingleton<ILoggerProvider>(logs));
        using var client = api.CreateClient();

        Assert.Contains(logs.Entries, e => e.Level == LogLevel.Warning && e.Message.StartsWith("No write keys are configured", StringComparison.Ordinal));

        client.DefaultRequestHeaders.Authorization = new("Basic", Convert.ToBase64String("whatever:"u8.ToArray()));

        var response = await client.PostAsync("/v1/track", Http.Json("""{"userId":"u","event":"E"}"""));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await api.ShutdownAsync();
        Assert.Equal("development", Outbox.ReadEvents(api.OutboxDirectory).Single()["source"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("Tracking:Batching:MaxEvents", "501", "Tracking:Batching:MaxEvents must be between 1 and 500")]
    [InlineData("Tracking:Queue:MaxEvents", "0", "Tracking:Queue:MaxEvents must be at least 1")]
    [InlineData("Tracking:RateLimit:PermitsPerSecond", "-1", "Tracking:RateLimit:PermitsPerSecond")]
    [InlineData("Tracking:ClientIp:TrustedProxies:0", "not-an-ip", "'not-an-ip', which is neither an IP address nor a CIDR network")]
    [InlineData("Tracking:File:MaxFileAge", "00:00:00", "Tracking:File:MaxFileAge must be at least 10 ms")]
    public async Task BadSettingsStopTheStartWithAMessageNamingTheSetting(string key, string value, string expected)
    {
        var ex = await StartFailsAsync("Production", $"--Tracking:WriteKeys:k=source", $"--{key}={value}");

        Assert.IsType<OptionsValidationException>(ex);
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }
}
