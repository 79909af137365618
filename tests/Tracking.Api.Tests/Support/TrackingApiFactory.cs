using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Tracking.Testing;

namespace Tracking.Api.Tests.Support;

/// <summary>
/// The real API on Kestrel (127.0.0.1, a free port) with the File sink writing into a fresh
/// temporary folder, and one write key: <see cref="WriteKey"/> for source <see cref="SourceName"/>.
/// </summary>
public sealed class TrackingApiFactory : WebApplicationFactory<Program>
{
    public const string WriteKey = "test-write-key";
    public const string SourceName = "test-source";

    private readonly Dictionary<string, string?> _settings;
    private readonly Action<IServiceCollection>? _services;

    public TrackingApiFactory(IDictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null, string environment = "Testing", bool withWriteKey = true)
    {
        OutboxDirectory = TemporaryFolder.NewPath();
        SpoolDirectory = OutboxDirectory + "-spool";
        Environment = environment;
        _settings = new Dictionary<string, string?>
        {
            ["Tracking:File:Directory"] = OutboxDirectory,
            ["Tracking:Spool:Directory"] = SpoolDirectory,
            ["Tracking:Suppression:Path"] = Path.Combine(SpoolDirectory, "suppressions.json"),
            // Not the default beside the test binaries, which every test's server would share.
            ["Tracking:Quarantine:Directory"] = OutboxDirectory + "-quarantine",
            ["Tracking:RateLimit:PermitsPerSecond"] = "0",
            ["Tracking:RateLimit:PerAddressPermitsPerSecond"] = "0",
            ["Tracking:Batching:Linger"] = "00:00:00.020",
        };
        if (withWriteKey)
        {
            _settings[$"Tracking:WriteKeys:{WriteKey}"] = SourceName;
        }

        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            _settings[key] = value;
        }

        _services = services;
        // Port 0 through the app's own URL setting, not UseKestrel(port): that overload rewrites the server's
        // addresses after the app has started binding them, a race Kestrel sometimes wins (dotnet/aspnetcore#67714).
        UseKestrel();
    }

    public string OutboxDirectory { get; }

    /// <summary>The spool's folder, beside the outbox.</summary>
    public string SpoolDirectory { get; }

    public string Environment { get; }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment(Environment);
        builder.UseUrls("http://127.0.0.1:0");
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
        if (_services is not null)
        {
            builder.ConfigureTestServices(_services);
        }
    }

    /// <summary>A client that sends the write key the way the Segment SDKs do: HTTP Basic, key as user name.</summary>
    public HttpClient CreateAuthenticatedClient()
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue(
            "Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(WriteKey + ":")));
        return client;
    }

    /// <summary>Stops the API gracefully (draining the queue into the outbox) and keeps the outbox to read.</summary>
    public ValueTask ShutdownAsync() => base.DisposeAsync();

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        foreach (var folder in new[] { OutboxDirectory, SpoolDirectory, OutboxDirectory + "-quarantine" })
        {
            TemporaryFolder.Delete(folder);
        }
    }
}
