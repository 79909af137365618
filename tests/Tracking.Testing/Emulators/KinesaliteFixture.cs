using System.Text.RegularExpressions;
using Xunit;

namespace Tracking.Testing.Emulators;

/// <summary>
/// Starts kinesalite (in memory, on 127.0.0.1, on a port the OS picks) for a test class and kills it afterwards.
/// Stream state changes (create, reshard, delete) take <see cref="StateChangeMilliseconds"/> instead of
/// kinesalite's default 500 ms so waiting for <c>ACTIVE</c> stays quick.
/// </summary>
public class KinesaliteFixture : IAsyncLifetime
{
    private EmulatorProcess? _process;

    /// <summary>How long streams stay <c>CREATING</c>, <c>UPDATING</c> or <c>DELETING</c>.</summary>
    public const int StateChangeMilliseconds = 50;

    /// <summary>The emulator's URL, for <c>ServiceUrl</c>.</summary>
    public Uri ServiceUrl { get; private set; } = null!;

    /// <summary>The region to sign for; kinesalite accepts any.</summary>
    public const string Region = "us-east-1";

    /// <inheritdoc/>
    public async Task InitializeAsync()
    {
        EmulatorPackages.Require("kinesalite");
        var launcher = Path.Combine(EmulatorPackages.Folder, "start-kinesalite.js");
        var delay = StateChangeMilliseconds.ToString(System.Globalization.CultureInfo.InvariantCulture);

        // One kinesalite serves a whole test assembly and its streams are never deleted: the limit counts the shards
        // of every test run so far, and at 50 a later test's stream was refused.
        _process = EmulatorProcess.Start(
            "kinesalite",
            EmulatorPackages.Folder,
            [launcher, "--port", "0", "--createStreamMs", delay, "--updateStreamMs", delay, "--deleteStreamMs", delay, "--shardLimit", "1000"]);

        var listening = await _process.WaitForOutputAsync(new Regex(@"Listening at (http://\S+)"), TimeSpan.FromSeconds(30));
        ServiceUrl = new Uri(listening.Groups[1].Value.TrimEnd('/') + "/");
        await _process.WaitUntilAnsweringAsync(ServiceUrl, TimeSpan.FromSeconds(30));
    }

    /// <summary>Freezes kinesalite (SIGSTOP): it holds its connections and answers nothing, as a hung endpoint does.</summary>
    public void Freeze() => _process!.Signal(19);

    /// <summary>Thaws kinesalite (SIGCONT).</summary>
    public void Thaw() => _process!.Signal(18);

    /// <inheritdoc/>
    public async Task DisposeAsync()
    {
        if (_process is not null)
        {
            await _process.DisposeAsync();
        }
    }
}
