using System.Globalization;
using System.Text.RegularExpressions;
using Xunit;

namespace Tracking.Testing.Emulators;

/// <summary>
/// Starts dynalite (DynamoDB, in memory; pinned in <c>tests/emulators/package.json</c>) on 127.0.0.1 for a test
/// collection and kills it afterwards. Tables stay <c>CREATING</c> for <see cref="CreateTableMilliseconds"/>, so
/// waiting for <c>ACTIVE</c> is exercised but quick.
/// </summary>
public class DynaliteFixture : IAsyncLifetime
{
    /// <summary>How long tables stay <c>CREATING</c>.</summary>
    public const int CreateTableMilliseconds = 100;

    /// <summary>The region to sign for; dynalite accepts any.</summary>
    public const string Region = "us-east-1";

    private EmulatorProcess? _process;

    /// <summary>The emulator's URL, for <c>ServiceUrl</c>.</summary>
    public Uri ServiceUrl { get; private set; } = null!;

    /// <inheritdoc/>
    public async Task InitializeAsync()
    {
        var package = EmulatorPackages.Require("dynalite");

        // dynalite reads --port 0 as "use the default 4567", so it is given a port that was free a moment ago.
        var port = EmulatorPackages.FreeLoopbackPort().ToString(CultureInfo.InvariantCulture);
        _process = EmulatorProcess.Start(
            "dynalite",
            EmulatorPackages.Folder,
            [Path.Combine(package, "cli.js"), "--host", "127.0.0.1", "--port", port, "--createTableMs", CreateTableMilliseconds.ToString(CultureInfo.InvariantCulture)]);
        var listening = await _process.WaitForOutputAsync(new Regex(@"Dynalite listening at: (http://\S+)"), TimeSpan.FromSeconds(30));
        ServiceUrl = new Uri(listening.Groups[1].Value.TrimEnd('/') + "/");
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
