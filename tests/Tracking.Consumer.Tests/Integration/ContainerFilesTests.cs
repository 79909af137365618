using System.Diagnostics;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Tracking.Consumer.Tests.Support;
using Tracking.ServiceDefaults;
using Tracking.Testing;

namespace Tracking.Consumer.Tests.Integration;

/// <summary>
/// The Dockerfile and docker-compose.yml, checked without a Docker engine: Compose itself (Debian's docker-compose)
/// resolves the file, every setting either file gives the apps is one an options class of the built apps reads,
/// the services wait for what they need and have health checks, and the health probe the images run is run here
/// against a real server.
/// </summary>
public sealed partial class ContainerFilesTests
{
    private static readonly Lazy<SettingsCatalog> Catalog = new(SettingsCatalog.Load);

    [Fact]
    public async Task ComposeResolvesThePipelineWithLocalStackPostgresAndBothAppsWaitingForWhatTheyNeed()
    {
        var config = await ComposeConfigAsync(("TRACKING_WRITE_KEY", "compose-test-key"));
        var services = config.GetProperty("services");
        Assert.Equal(["api", "consumer", "localstack", "postgres"], services.EnumerateObject().Select(s => s.Name).Order());

        var api = services.GetProperty("api");
        Assert.Equal("api", api.GetProperty("build").GetProperty("target").GetString());
        Assert.Equal("service_healthy", api.GetProperty("depends_on").GetProperty("localstack").GetProperty("condition").GetString());
        Assert.Equal(["--Tracking:WriteKeys:compose-test-key=default"], api.GetProperty("command").EnumerateArray().Select(a => a.GetString()));
        Assert.Contains(api.GetProperty("volumes").EnumerateArray(), v => v.GetString()!.StartsWith("tracking-data:/data", StringComparison.Ordinal));
        var apiEnvironment = Environment(api);
        Assert.Equal("Kinesis", apiEnvironment["Tracking__Sink"]);
        Assert.Equal("http://localstack:4566", apiEnvironment["Tracking__Kinesis__ServiceUrl"]);
        Assert.Equal("/data/spool", apiEnvironment["Tracking__Spool__Directory"]);

        var consumer = services.GetProperty("consumer");
        Assert.Equal("consumer", consumer.GetProperty("build").GetProperty("target").GetString());
        Assert.Equal("service_healthy", consumer.GetProperty("depends_on").GetProperty("localstack").GetProperty("condition").GetString());
        Assert.Equal("service_healthy", consumer.GetProperty("depends_on").GetProperty("postgres").GetProperty("condition").GetString());
        var consumerEnvironment = Environment(consumer);
        Assert.Equal("http://localstack:4566", consumerEnvironment["Consumer__Kinesis__ServiceUrl"]);
        Assert.Equal("http://+:8081", consumerEnvironment["Consumer__Http__Urls"]);

        // The apps read one stream, the one LocalStack's init script creates; the consumer's database is the one PostgreSQL creates.
        var localstack = services.GetProperty("localstack");
        var localstackEnvironment = Environment(localstack);
        Assert.Equal(localstackEnvironment["TRACKING_STREAM"], apiEnvironment["Tracking__Kinesis__StreamName"]);
        Assert.Equal(localstackEnvironment["TRACKING_STREAM"], consumerEnvironment["Consumer__Kinesis__StreamName"]);
        Assert.Contains(localstack.GetProperty("volumes").EnumerateArray(), v => v.GetString()!.EndsWith(":/etc/localstack/init/ready.d/init-aws.sh:ro", StringComparison.Ordinal));
        Assert.Contains("kinesis", localstackEnvironment["SERVICES"], StringComparison.Ordinal);
        Assert.Contains("firehose", localstackEnvironment["SERVICES"], StringComparison.Ordinal);
        Assert.Contains("s3", localstackEnvironment["SERVICES"], StringComparison.Ordinal);
        var postgresEnvironment = Environment(services.GetProperty("postgres"));
        Assert.Equal(
            $"Host=postgres;Database={postgresEnvironment["POSTGRES_DB"]};Username={postgresEnvironment["POSTGRES_USER"]};Password={postgresEnvironment["POSTGRES_PASSWORD"]}",
            consumerEnvironment["Consumer__Warehouse__ConnectionString"]);

        foreach (var service in services.EnumerateObject())
        {
            Assert.True(service.Value.TryGetProperty("healthcheck", out var check) && check.GetProperty("test").GetArrayLength() > 1, $"{service.Name} has no health check");
        }

        // OTLP is off unless the operator names a collector; both apps get their service names.
        Assert.Equal(string.Empty, apiEnvironment[TelemetryDefaults.OtlpEndpointSetting]);
        Assert.Equal("tracking-api", apiEnvironment[TelemetryDefaults.ServiceNameSetting]);
        Assert.Equal("tracking-consumer", consumerEnvironment[TelemetryDefaults.ServiceNameSetting]);
    }

    [Fact]
    public async Task EverySettingComposeAndTheDockerfileGiveTheAppsIsOneTheirOptionsClassesRead()
    {
        var config = await ComposeConfigAsync(("TRACKING_WRITE_KEY", "compose-test-key"));
        var given = new List<string>();
        foreach (var name in new[] { "api", "consumer" })
        {
            given.AddRange(Environment(config.GetProperty("services").GetProperty(name)).Keys);
        }

        given.AddRange(DockerfileEnvironment().Keys);
        var settings = given.Where(k => k.StartsWith("Tracking__", StringComparison.Ordinal) || k.StartsWith("Consumer__", StringComparison.Ordinal)).Distinct().ToList();
        Assert.True(settings.Count >= 12, $"only {settings.Count} settings found: {string.Join(", ", settings)}");
        Assert.Empty(settings.Select(Catalog.Value.Problem).OfType<string>());

        // And the checker does refuse a misspelt one, or it would prove nothing.
        Assert.NotNull(Catalog.Value.Problem("Tracking__Kinesis__StreamNmae"));
        Assert.NotNull(Catalog.Value.Problem("Consumer__Warehous__ConnectionString"));
    }

    [Fact]
    public async Task ComposeRefusesToStartWithoutAWriteKeyOfYours()
    {
        var (exitCode, output) = await RunComposeAsync(["config"], []);
        Assert.NotEqual(0, exitCode);
        Assert.Contains("Set TRACKING_WRITE_KEY", output, StringComparison.Ordinal);
    }

    [Fact]
    public void TheDockerfileBuildsBothAppsAsSmallNonRootImagesWithAHealthCheck()
    {
        var dockerfile = File.ReadAllText(RepositoryRoot.Combine("Dockerfile"));
        var stages = FromLine().Matches(dockerfile).ToDictionary(m => m.Groups["name"].Value, m => m.Groups["image"].Value);
        Assert.Equal("mcr.microsoft.com/dotnet/sdk:10.0", stages["build"]);
        Assert.Equal("mcr.microsoft.com/dotnet/aspnet:10.0", stages["runtime"]);
        Assert.Equal("runtime", stages["api"]);
        Assert.Equal("runtime", stages["consumer"]);

        // analytics.js 2.0 for Segment's stock snippet: installed by npm in its own stage, handed to the build.
        Assert.StartsWith("node:", stages["sdk-assets"], StringComparison.Ordinal);
        Assert.Contains("COPY src/Tracking.Api/sdk-assets/package.json src/Tracking.Api/sdk-assets/package-lock.json", Stage(dockerfile, "sdk-assets"), StringComparison.Ordinal);
        Assert.Contains("COPY --from=sdk-assets /sdk-assets/node_modules src/Tracking.Api/sdk-assets/node_modules", Stage(dockerfile, "build"), StringComparison.Ordinal);

        // The enrichments' pattern data, the same way: pinned npm packages, never files kept in the repository.
        Assert.StartsWith("node:", stages["enrichment-data"], StringComparison.Ordinal);
        Assert.Contains("COPY src/Tracking.Api/enrichment-data/package.json src/Tracking.Api/enrichment-data/package-lock.json", Stage(dockerfile, "enrichment-data"), StringComparison.Ordinal);
        Assert.Contains("COPY --from=enrichment-data /enrichment-data/node_modules src/Tracking.Api/enrichment-data/node_modules", Stage(dockerfile, "build"), StringComparison.Ordinal);

        foreach (var (target, assembly, port) in new[] { ("api", "Tracking.Api.dll", "8080"), ("consumer", "Tracking.Consumer.dll", "8081") })
        {
            var stage = Stage(dockerfile, target);
            Assert.Contains("USER $APP_UID", stage, StringComparison.Ordinal);
            Assert.Contains($"ENTRYPOINT [\"dotnet\", \"{assembly}\"]", stage, StringComparison.Ordinal);
            Assert.Contains($"EXPOSE {port}", stage, StringComparison.Ordinal);
            Assert.Contains($"HEALTH_PORT={port}", stage, StringComparison.Ordinal);
        }

        Assert.Contains("HEALTHCHECK", Stage(dockerfile, "runtime"), StringComparison.Ordinal);

        // Every project the apps build from is copied before the restore, or the image's restore fails.
        foreach (var project in Directory.GetDirectories(RepositoryRoot.Combine("src")).Select(Path.GetFileName))
        {
            Assert.Contains($"COPY src/{project}/{project}.csproj src/{project}/", dockerfile, StringComparison.Ordinal);
        }

        Assert.True(File.Exists(RepositoryRoot.Combine("docker", "healthcheck.sh")));

        // A host's bin/ and obj/ copied over the image's restore would point the publish at the host's package paths.
        var ignored = File.ReadAllLines(RepositoryRoot.Combine(".dockerignore"));
        Assert.Contains("**/bin/", ignored);
        Assert.Contains("**/obj/", ignored);
        Assert.DoesNotContain(ignored, l => l.TrimEnd('/') is "docker" or "src");
    }

    [Fact]
    public async Task TheImagesHealthProbeIsHealthyOnA200AndUnhealthyOnAnythingElse()
    {
        await using var server = await ProbeTarget.StartAsync();
        Assert.Equal(0, await ProbeAsync(server.Port, "/health/live"));
        Assert.Equal(1, await ProbeAsync(server.Port, "/health/ready"));
        Assert.Equal(1, await ProbeAsync(server.Port, "/missing"));

        // Nothing listening: refused at once, not hanging.
        Assert.Equal(1, await ProbeAsync(ProbeTarget.UnusedPort(), "/health/live"));
    }

    [Fact]
    public async Task LocalStacksInitScriptIsValidBash()
    {
        var (exitCode, output) = await RunAsync("bash", ["-n", RepositoryRoot.Combine("docker", "localstack", "init-aws.sh")], []);
        Assert.True(exitCode == 0, output);
    }

    private static async Task<int> ProbeAsync(int port, string path)
    {
        var (exitCode, _) = await RunAsync("bash", [RepositoryRoot.Combine("docker", "healthcheck.sh")], [("HEALTH_PORT", port.ToString(System.Globalization.CultureInfo.InvariantCulture)), ("HEALTH_PATH", path)]);
        return exitCode;
    }

    private static Dictionary<string, string> Environment(JsonElement service) =>
        service.GetProperty("environment").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : p.Value.GetRawText(), StringComparer.Ordinal);

    /// <summary>The ENV assignments of the Dockerfile, all stages.</summary>
    private static Dictionary<string, string> DockerfileEnvironment()
    {
        var text = File.ReadAllText(RepositoryRoot.Combine("Dockerfile")).Replace("\\\n", " ", StringComparison.Ordinal);
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n').Where(l => l.StartsWith("ENV ", StringComparison.Ordinal)))
        {
            foreach (Match pair in EnvPair().Matches(line[4..]))
            {
                result[pair.Groups[1].Value] = pair.Groups[2].Value;
            }
        }

        return result;
    }

    private static string Stage(string dockerfile, string name)
    {
        var start = dockerfile.IndexOf($" AS {name}\n", StringComparison.Ordinal);
        Assert.True(start >= 0, $"no stage {name}");
        var end = dockerfile.IndexOf("\nFROM ", start, StringComparison.Ordinal);
        return end < 0 ? dockerfile[start..] : dockerfile[start..end];
    }

    /// <summary><c>docker-compose config</c> of the repository's file, as JSON (Compose v1 prints YAML; python3-yaml, its own dependency, converts it).</summary>
    private static async Task<JsonElement> ComposeConfigAsync(params (string Name, string Value)[] environment)
    {
        var (exitCode, output) = await RunComposeAsync(["config"], environment);
        Assert.True(exitCode == 0, $"docker-compose config failed: {output}");
        var yaml = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(yaml, output);
            var (converted, json) = await RunAsync("python3", ["-c", "import json, sys, yaml; json.dump(yaml.safe_load(open(sys.argv[1])), sys.stdout)", yaml], []);
            Assert.True(converted == 0, json);
            return JsonDocument.Parse(json).RootElement.Clone();
        }
        finally
        {
            File.Delete(yaml);
        }
    }

    private static Task<(int ExitCode, string Output)> RunComposeAsync(IReadOnlyList<string> arguments, IReadOnlyList<(string Name, string Value)> environment)
    {
        var compose = new[] { "/usr/bin/docker-compose", "/usr/local/bin/docker-compose" }.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("docker-compose is not installed: apt-get install -y docker-compose (scripts/test.sh does)");
        return RunAsync(compose, ["-f", RepositoryRoot.Combine("docker-compose.yml"), .. arguments], environment);
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string file, IReadOnlyList<string> arguments, IReadOnlyList<(string Name, string Value)> environment)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = RepositoryRoot.Combine(),
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // Only what the test sets: a TRACKING_WRITE_KEY or OTEL_* of the machine must not change what Compose resolves.
        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("TRACKING_", StringComparison.Ordinal) || k.StartsWith("OTEL_", StringComparison.Ordinal) || k == "POSTGRES_PASSWORD").ToList())
        {
            start.Environment.Remove(name);
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }

    [GeneratedRegex(@"^FROM (?<image>\S+) AS (?<name>\S+)$", RegexOptions.Multiline)]
    private static partial Regex FromLine();

    [GeneratedRegex(@"([A-Za-z_][A-Za-z0-9_]*)=(\S+)")]
    private static partial Regex EnvPair();

    /// <summary>A real HTTP server answering 200 on <c>/health/live</c> and 503 on <c>/health/ready</c>, 404 elsewhere.</summary>
    private sealed class ProbeTarget : IAsyncDisposable
    {
        private readonly WebApplication _app;

        private ProbeTarget(WebApplication app, int port)
        {
            _app = app;
            Port = port;
        }

        public int Port { get; }

        public static async Task<ProbeTarget> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
            var app = builder.Build();
            app.MapGet("/health/live", () => Results.Ok());
            app.MapGet("/health/ready", () => Results.StatusCode(StatusCodes.Status503ServiceUnavailable));
            await app.StartAsync();
            var address = new Uri(app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First());
            return new ProbeTarget(app, address.Port);
        }

        public static int UnusedPort()
        {
            using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
