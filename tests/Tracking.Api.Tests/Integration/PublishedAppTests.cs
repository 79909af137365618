using System.Diagnostics;
using System.Net;
using Tracking.Api.Tests.Support;
using Tracking.Testing;

namespace Tracking.Api.Tests.Integration;

/// <summary>The app published as users deploy it (<c>dotnet publish</c>), into a temporary folder.</summary>
public sealed class PublishedAppFixture : IAsyncLifetime
{
    public string Folder { get; } = TemporaryFolder.NewPath("published-");

    public string Dll => Path.Combine(Folder, "Tracking.Api.dll");

    public async Task InitializeAsync()
    {
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
        // No MSBuild worker nodes or build server left behind: they would inherit the redirected output and keep it
        // open for their idle lifetime (minutes), so reading it to its end would wait for them.
        var start = new ProcessStartInfo("dotnet", ["publish", RepositoryRoot.Combine("src", "Tracking.Api", "Tracking.Api.csproj"), "-c", configuration, "--no-build", "--nologo", "--disable-build-servers", "-nodeReuse:false", "-o", Folder])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        start.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        using var publish = Process.Start(start)!;
        var output = publish.StandardOutput.ReadToEndAsync();
        var errors = publish.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        try
        {
            await publish.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            publish.Kill(entireProcessTree: true);
            Assert.Fail("dotnet publish did not finish within 3 minutes");
        }

        if (publish.ExitCode != 0)
        {
            Assert.Fail($"dotnet publish failed ({publish.ExitCode}): {await output.WaitAsync(TimeSpan.FromSeconds(10))}{await errors.WaitAsync(TimeSpan.FromSeconds(10))}");
        }
    }

    public Task DisposeAsync()
    {
        TemporaryFolder.Delete(Folder);
        return Task.CompletedTask;
    }
}

public class PublishedAppTests(PublishedAppFixture published) : IClassFixture<PublishedAppFixture>
{
    [Fact]
    public async Task StartedFromAnotherFolderItServesItsFilesReadsItsSettingsAndWritesBesideItself()
    {
        // As a systemd unit without WorkingDirectory, or a container without WORKDIR, would start it.
        await using var api = await ApiProcess.StartAsync(published.Dll, new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["Tracking__WriteKeys__published-key"] = "published-source",
            ["Tracking__File__MaxFileAge"] = "00:00:00.200",
        }, workingDirectory: "/");
        using var client = api.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Basic", Convert.ToBase64String("published-key:"u8.ToArray()));

        var tracker = await client.GetAsync("/tracker.js");
        var demo = await client.GetAsync("/demo/");
        var track = await client.PostAsync("/v1/track", Http.Json("""{"userId":"u","event":"Published","messageId":"published-1"}"""));

        Assert.Equal(HttpStatusCode.OK, tracker.StatusCode);
        Assert.Contains("tracker", await tracker.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, demo.StatusCode);
        Assert.Equal(HttpStatusCode.OK, track.StatusCode);

        // The relative default outbox (./data/outbox) is taken from the app's folder, not from '/'.
        var outbox = Path.Combine(published.Folder, "data", "outbox");
        await Eventually.TrueAsync(() => Directory.Exists(outbox) && Outbox.ReadEvents(outbox).Any(e => e["messageId"]?.GetValue<string>() == "published-1"), "the event is in the app folder's outbox");
        Assert.Equal(0, await api.StopAsync());

        // appsettings.json was read: Production logs no per-request lines, and the web root was found.
        Assert.DoesNotContain("WebRootPath was not found", api.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Request starting", api.Output, StringComparison.Ordinal);
    }
}
