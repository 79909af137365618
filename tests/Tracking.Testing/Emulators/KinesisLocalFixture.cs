using System.Globalization;
using Xunit;

namespace Tracking.Testing.Emulators;

/// <summary>
/// Starts kinesis-local (kinesis-mock, the emulator LocalStack uses) for a test class and kills it afterwards.
/// It runs from its own package folder because it loads <c>server.json</c> from the working directory; both its
/// plain-HTTP and TLS ports are set to free loopback ports so parallel runs do not collide on 4567/4568.
/// Override <see cref="InitialStreams"/> to have streams created at start-up (<c>INITIALIZE_STREAMS</c>).
/// </summary>
public class KinesisLocalFixture : IAsyncLifetime
{
    private EmulatorProcess? _process;

    /// <summary>The emulator's plain-HTTP URL, for <c>ServiceUrl</c>.</summary>
    public Uri ServiceUrl { get; private set; } = null!;

    /// <summary>The region to sign for, which is also the emulator's default region.</summary>
    public const string Region = "us-east-1";

    /// <summary>Streams to create at start-up as <c>name:shards</c>, comma-separated; none by default.</summary>
    protected virtual string? InitialStreams => null;

    /// <inheritdoc/>
    public async Task InitializeAsync()
    {
        var package = EmulatorPackages.Require("kinesis-local");
        var plainPort = EmulatorPackages.FreeLoopbackPort();
        var tlsPort = EmulatorPackages.FreeLoopbackPort();
        var environment = new Dictionary<string, string>
        {
            ["KINESIS_MOCK_PLAIN_PORT"] = plainPort.ToString(CultureInfo.InvariantCulture),
            ["KINESIS_MOCK_TLS_PORT"] = tlsPort.ToString(CultureInfo.InvariantCulture),
            ["AWS_REGION"] = Region,
            ["LOG_LEVEL"] = "WARN",
            ["CREATE_STREAM_DURATION"] = "100ms",
            ["DELETE_STREAM_DURATION"] = "100ms",
            ["SPLIT_SHARD_DURATION"] = "100ms",
            ["MERGE_SHARDS_DURATION"] = "100ms",
            ["UPDATE_SHARD_COUNT_DURATION"] = "100ms",
        };
        if (!string.IsNullOrEmpty(InitialStreams))
        {
            environment["INITIALIZE_STREAMS"] = InitialStreams;
        }

        _process = EmulatorProcess.Start("kinesis-local", package, ["main.js"], environment);
        ServiceUrl = new Uri($"http://127.0.0.1:{plainPort}/");
        await _process.WaitUntilAnsweringAsync(ServiceUrl, TimeSpan.FromSeconds(60));
    }

    /// <inheritdoc/>
    public async Task DisposeAsync()
    {
        if (_process is not null)
        {
            await _process.DisposeAsync();
        }
    }
}
