using System.Net;
using System.Net.Sockets;

namespace Tracking.Testing.Emulators;

/// <summary>Where the npm emulators pinned in <c>tests/emulators/package.json</c> are installed.</summary>
public static class EmulatorPackages
{
    /// <summary>The command that installs them, run from the repository root.</summary>
    public const string InstallCommand = "npm ci --prefix tests/emulators";

    /// <summary>The <c>tests/emulators</c> folder.</summary>
    public static string Folder => RepositoryRoot.Combine("tests", "emulators");

    /// <summary>The installed package's folder; throws naming <see cref="InstallCommand"/> when it is missing.</summary>
    public static string Require(string packageName)
    {
        var folder = Path.Combine(Folder, "node_modules", packageName);
        if (!Directory.Exists(folder))
        {
            throw new InvalidOperationException(
                $"The npm package '{packageName}' is not installed ({folder} is missing). Run `{InstallCommand}` from the repository root first.");
        }

        return folder;
    }

    /// <summary>A TCP port on 127.0.0.1 that was free a moment ago, for emulators that cannot pick their own.</summary>
    public static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
