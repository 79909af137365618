using System.Text.RegularExpressions;
using Xunit;

namespace Tracking.Testing.Emulators;

/// <summary>
/// Starts s3rver (pinned in <c>tests/emulators/package.json</c>) on 127.0.0.1, on a port the OS picks, with its
/// objects in a temporary folder and the bucket <see cref="Bucket"/> created; kills it and deletes the folder afterwards.
/// </summary>
public class S3rverFixture : IAsyncLifetime
{
    /// <summary>The bucket created at start.</summary>
    public const string Bucket = "tracking-staging";

    /// <summary>s3rver's built-in credentials; it checks signatures against them.</summary>
    public const string AccessKey = "S3RVER";

    /// <summary>The secret of <see cref="AccessKey"/>.</summary>
    public const string SecretKey = "S3RVER";

    /// <summary>The region to sign for; s3rver accepts any.</summary>
    public const string Region = "us-east-1";

    private EmulatorProcess? _process;
    private string? _directory;

    /// <summary>The emulator's URL, for <c>ServiceUrl</c> (path-style addressing).</summary>
    public Uri ServiceUrl { get; private set; } = null!;

    /// <summary>The folder s3rver keeps objects in.</summary>
    public string Directory => _directory!;

    /// <inheritdoc/>
    public async Task InitializeAsync()
    {
        var package = EmulatorPackages.Require("s3rver");
        _directory = Path.Combine(Path.GetTempPath(), $"s3rver-{Guid.NewGuid():N}");
        System.IO.Directory.CreateDirectory(_directory);
        _process = EmulatorProcess.Start(
            "s3rver",
            EmulatorPackages.Folder,
            [Path.Combine(package, "bin", "s3rver.js"), "--directory", _directory, "--address", "127.0.0.1", "--port", "0", "--configure-bucket", Bucket]);
        var listening = await _process.WaitForOutputAsync(new Regex(@"S3rver listening on ([\d.]+):(\d+)"), TimeSpan.FromSeconds(30));
        ServiceUrl = new Uri($"http://{listening.Groups[1].Value}:{listening.Groups[2].Value}/");
    }

    /// <inheritdoc/>
    public async Task DisposeAsync()
    {
        if (_process is not null)
        {
            await _process.DisposeAsync();
        }

        if (_directory is not null && System.IO.Directory.Exists(_directory))
        {
            System.IO.Directory.Delete(_directory, recursive: true);
        }
    }
}
