using System.Diagnostics;
using System.Globalization;
using Npgsql;
using Tracking.Testing.Emulators;
using Xunit;

namespace Tracking.Testing.Postgres;

/// <summary>
/// A throwaway PostgreSQL 15 cluster (Debian's <c>postgresql</c> package) for a test run: <c>initdb</c> into a temp
/// folder, <c>pg_ctl start</c> on a free port on 127.0.0.1, stopped and deleted on dispose. PostgreSQL refuses to
/// run as root, so under root the binaries run as the <c>postgres</c> user, who owns the folder.
/// </summary>
public class PostgresServer : IAsyncLifetime
{
    /// <summary>The command that installs the binaries on a fresh Debian machine.</summary>
    public const string InstallCommand = "apt-get install -y postgresql";

    /// <summary>The environment variable that overrides <see cref="DefaultBinFolder"/>.</summary>
    public const string BinFolderVariable = "POSTGRES_BIN";

    /// <summary>Where Debian puts the PostgreSQL 15 server binaries.</summary>
    public const string DefaultBinFolder = "/usr/lib/postgresql/15/bin";

    private const string SuperUser = "postgres";

    private string _folder = null!;
    private string _data = null!;
    private bool _started;

    /// <summary>The port the server listens on, on 127.0.0.1.</summary>
    public int Port { get; private set; }

    /// <summary>The server binaries' folder.</summary>
    public static string BinFolder => Environment.GetEnvironmentVariable(BinFolderVariable) ?? DefaultBinFolder;

    /// <summary>A connection string to <paramref name="database"/> as the superuser (trust authentication on loopback).</summary>
    public string ConnectionString(string database) =>
        $"Host=127.0.0.1;Port={Port};Username={SuperUser};Database={database};Timeout=15;Command Timeout=60";

    /// <summary>Creates a new, empty database with a unique name and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string prefix = "test")
    {
        var name = $"{prefix}_{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 33, 63)];
        await using var connection = new NpgsqlConnection(ConnectionString("postgres"));
        await connection.OpenAsync();

        // A database name cannot be a parameter; this one is built from a prefix the test chose and a GUID.
        await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
        await command.ExecuteNonQueryAsync();
        return ConnectionString(name);
    }

    /// <inheritdoc/>
    public async Task InitializeAsync()
    {
        var initdb = Path.Combine(BinFolder, "initdb");
        if (!File.Exists(initdb))
        {
            throw new InvalidOperationException($"PostgreSQL 15 is not installed ({initdb} is missing). Run `{InstallCommand}` first, or set {BinFolderVariable}.");
        }

        _folder = Path.Combine(Path.GetTempPath(), $"tracking-pg-{Guid.NewGuid():N}");
        _data = Path.Combine(_folder, "data");
        Directory.CreateDirectory(_folder);
        if (Environment.IsPrivilegedProcess)
        {
            await RunAsync("chown", [SuperUser, _folder], asSuperUser: false);
        }

        await RunAsync(initdb, ["-D", _data, "-U", SuperUser, "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"], asSuperUser: true);
        Port = EmulatorPackages.FreeLoopbackPort();
        var port = Port.ToString(CultureInfo.InvariantCulture);

        // fsync off: the tests kill consumers, never the database, and it makes the loads much faster on a shared disk.
        var settings = $"-p {port} -k {_folder} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200";
        await RunAsync(Path.Combine(BinFolder, "pg_ctl"), ["start", "-D", _data, "-w", "-t", "60", "-l", Path.Combine(_folder, "server.log"), "-o", settings], asSuperUser: true);
        _started = true;
    }

    /// <inheritdoc/>
    public async Task DisposeAsync()
    {
        try
        {
            if (_started)
            {
                await RunAsync(Path.Combine(BinFolder, "pg_ctl"), ["stop", "-D", _data, "-m", "immediate", "-w"], asSuperUser: true);
            }
        }
        finally
        {
            if (_folder is not null && Directory.Exists(_folder))
            {
                Directory.Delete(_folder, recursive: true);
            }
        }
    }

    private static async Task RunAsync(string file, IReadOnlyList<string> arguments, bool asSuperUser)
    {
        var asPostgres = asSuperUser && Environment.IsPrivilegedProcess;
        var startInfo = new ProcessStartInfo(asPostgres ? "runuser" : file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        if (asPostgres)
        {
            foreach (var argument in new[] { "-u", SuperUser, "--", file })
            {
                startInfo.ArgumentList.Add(argument);
            }
        }

        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        using var process = Process.Start(startInfo)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} exited with {process.ExitCode}:{Environment.NewLine}{await output}{await errors}");
        }
    }
}
