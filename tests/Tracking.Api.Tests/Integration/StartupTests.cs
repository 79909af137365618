using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Tracking.Api.Tests.Support;
using Tracking.Testing;

namespace Tracking.Api.Tests.Integration;

/// <summary>Start-up as users meet it: the real entry point in a child process, refusing bad settings with one clear line.</summary>
public class StartupTests
{
    /// <summary>Runs <c>dotnet Tracking.Api.dll</c> from <c>/</c> with <paramref name="settings"/> in its environment, expecting it to refuse to start.</summary>
    internal static async Task<string> StartFailsAsync(string environment, params (string Key, string Value)[] settings) =>
        await StartFailsAsync(environment, exitCode: 2, settings);

    /// <summary>As above, expecting <paramref name="exitCode"/>: 2 for refused settings, 3 for something they point at that cannot be used.</summary>
    internal static async Task<string> StartFailsAsync(string environment, int exitCode, params (string Key, string Value)[] settings)
    {
        using var outbox = new TemporaryFolder();
        var env = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = environment,
            ["ASPNETCORE_URLS"] = "http://127.0.0.1:0",
            ["Tracking__File__Directory"] = outbox.Path,
        };
        foreach (var (key, value) in settings)
        {
            env[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        var (exited, stdout, stderr) = await ApiProcess.RunToExitAsync(ApiProcess.BuiltDll, env);

        Assert.Equal(exitCode, exited);
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, $"Expected one error line, got:\n{stderr}");
        Assert.StartsWith("Tracking.Api cannot start: ", lines[0], StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", stdout + stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stdout + stderr, StringComparison.Ordinal);
        return lines[0];
    }

    [Fact]
    public async Task ProductionWithoutWriteKeysRefusesToStartWithOneLineAndExitCodeTwo()
    {
        var error = await StartFailsAsync("Production");

        Assert.Contains("No write keys are configured and the environment is 'Production'", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ABadTrackingPlanStopsTheStartWithOneLineNamingTheSettingTheFileAndTheLine()
    {
        using var folder = new TemporaryFolder();
        var plan = Path.Combine(folder.Path, "web.json");
        await File.WriteAllTextAsync(plan, "{\n  \"track\": {\n    \"Signed Up\": {,}\n  }\n}\n");

        var error = await StartFailsAsync("Production", ("Tracking:WriteKeys:k", "web"), ("Tracking:TrackingPlans:web:Path", plan));

        Assert.Contains($"Tracking:TrackingPlans:web:Path: the tracking plan file '{plan}' is not valid JSON at line 3", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BlockModeWithoutAnAdminKeyStopsTheStart()
    {
        using var folder = new TemporaryFolder();
        var plan = Path.Combine(folder.Path, "web.yaml");
        await File.WriteAllTextAsync(plan, "track:\n  Signed Up:\n");

        var error = await StartFailsAsync("Production", ("Tracking:WriteKeys:k", "web"), ("Tracking:TrackingPlans:web:Path", plan), ("Tracking:TrackingPlans:web:Mode", "Block"));

        Assert.Contains("Tracking:TrackingPlans:web:Mode is Block, which needs Tracking:AdminKey", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task APortInUseStopsTheStartWithOneLineAndExitCodeThree()
    {
        using var holder = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        holder.Start();
        var port = ((IPEndPoint)holder.LocalEndpoint).Port;
        using var folder = new TemporaryFolder();

        var (exitCode, _, stderr) = await ApiProcess.RunToExitAsync(ApiProcess.BuiltDll, new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
            ["Tracking__WriteKeys__k"] = "web",
            ["Tracking__File__Directory"] = folder.Path,
        });

        // The host logs its failed start (with the bind's trace) on standard output; standard error has the one line.
        Assert.Equal(3, exitCode);
        Assert.Equal($"Tracking.Api cannot start: Failed to bind to address http://127.0.0.1:{port}: address already in use.", stderr.Trim());
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
    [InlineData("Tracking:Sink", "Kafka", "Kafka")]
    [InlineData("Tracking:Queue:MaxEvents", "lots", "Tracking:Queue:MaxEvents")]
    [InlineData("Tracking:PublicUrl", "collect.example.com", "Tracking:PublicUrl is 'collect.example.com': it must be an absolute http or https URL")]
    [InlineData("Tracking:PublicUrl", "ftp://collect.example.com", "Tracking:PublicUrl is 'ftp://collect.example.com'")]
    [InlineData("Tracking:PublicUrl", "https://collect.example.com/?x=1", "Tracking:PublicUrl is 'https://collect.example.com/?x=1'")]
    [InlineData("Tracking:Enrichment:Location", "true", "Tracking:Enrichment:LocationDatabases names no .mmdb file")]
    [InlineData("Tracking:Enrichment:Sources:source:Bots", "Block", "Tracking:Enrichment:Sources:source:Bots is 'Block': it must be Off, Flag, Refuse or Quarantine")]
    [InlineData("Tracking:Enrichment:Sources:source:Bots", "7", "Tracking:Enrichment:Sources:source:Bots is '7': it must be Off, Flag, Refuse or Quarantine")]
    [InlineData("Tracking:Enrichment:Bots", "Block", "Tracking:Enrichment:Bots is 'Block': it must be Off, Flag, Refuse or Quarantine")]
    [InlineData("Tracking:Enrichment:Sources:source:Device", "maybe", "Tracking:Enrichment:Sources:source:Device is 'maybe': it must be true or false")]
    [InlineData("Tracking:Enrichment:Campaign", "yes", "Tracking:Enrichment:Campaign is 'yes': it must be true or false")]
    [InlineData("Tracking:Enrichment:CacheEntries", "lots", "Tracking:Enrichment:CacheEntries is 'lots'")]
    [InlineData("Tracking:Enrichment:CacheEntries", "10", "Tracking:Enrichment:CacheEntries is 10: it must be from 100 to 1000000")]
    [InlineData("Tracking:Enrichment:Sources:sauce:Bots", "Refuse", "Tracking:Enrichment:Sources:sauce names no source of Tracking:WriteKeys")]
    [InlineData("Tracking:Enrichment:Sources:source:Bot", "Refuse", "Tracking:Enrichment:Sources:source:Bot is not a setting")]
    [InlineData("Tracking:Enrichment:Referer", "false", "Tracking:Enrichment:Referer is not a setting")]
    [InlineData("Tracking:PlanDraft:MaxDepth", "25", "Tracking:PlanDraft:MaxDepth must be from 1 to 24; it is 25.")]
    [InlineData("Tracking:PlanDraft:MaxEventsPerSecond", "0", "Tracking:PlanDraft:MaxEventsPerSecond must be from 1 to 1000000; it is 0.")]
    public async Task BadSettingsStopTheStartWithOneLineNamingTheSetting(string key, string value, string expected)
    {
        var error = await StartFailsAsync("Production", ("Tracking:WriteKeys:k", "source"), (key, value));

        Assert.Contains(expected, error, StringComparison.Ordinal);
    }
}
