using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Tracking.Testing;

namespace Tracking.Consumer.Tests.Support;

/// <summary>
/// The built consumer run as a real child process (<c>dotnet Tracking.Consumer.dll</c>, no shell in between), so
/// tests can SIGKILL, SIGSTOP and SIGCONT exactly that process. Its output is kept for assertions and failures.
/// </summary>
public sealed class ConsumerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Lock _gate = new();
    private readonly List<string> _lines = [];

    private ConsumerProcess(Process process) => _process = process;

    /// <summary>The consumer's process id.</summary>
    public int Id => _process.Id;

    /// <summary>Whether the process has ended.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>The exit code, once ended.</summary>
    public int ExitCode => _process.ExitCode;

    /// <summary>Everything written to stdout and stderr so far.</summary>
    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_gate)
            {
                return [.. _lines];
            }
        }
    }

    /// <summary>The output as one text, for failure messages.</summary>
    public string Output => string.Join(Environment.NewLine, Lines);

    /// <summary>The consumer assembly built beside these tests, in the same configuration.</summary>
    public static string AssemblyPath => Built("Tracking.Consumer");

    /// <summary>Starts the consumer with the given settings as command-line configuration (<c>--Consumer:Kinesis:StreamName=…</c>).</summary>
    public static ConsumerProcess Start(IReadOnlyDictionary<string, string> settings) => Start(AssemblyPath, settings);

    /// <summary>The API assembly built beside these tests, for tests that go through it.</summary>
    public static string ApiAssemblyPath => Built("Tracking.Api");

    /// <summary>The replay command's assembly built beside these tests.</summary>
    public static string ReplayAssemblyPath => Built("Tracking.Replay");

    private static string Built(string project)
    {
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Debug" : "Release";
        return RepositoryRoot.Combine("src", project, "bin", configuration, "net10.0", $"{project}.dll");
    }

    /// <summary>Starts <c>dotnet <paramref name="assemblyPath"/></c> with the settings as command-line configuration
    /// and, when given, extra environment variables (the standard <c>OTEL_*</c> ones, say), in
    /// <paramref name="workingDirectory"/> (by default the assembly's folder).</summary>
    public static ConsumerProcess Start(string assemblyPath, IReadOnlyDictionary<string, string> settings, IReadOnlyDictionary<string, string>? environment = null, string? workingDirectory = null)
    {
        var startInfo = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Path.GetDirectoryName(assemblyPath)!,
        };
        startInfo.ArgumentList.Add(assemblyPath);
        foreach (var (key, value) in settings)
        {
            startInfo.ArgumentList.Add($"--{key}={value}");
        }

        // The emulator accepts any key; set, they keep the credential chain from looking for instance roles.
        startInfo.Environment["AWS_ACCESS_KEY_ID"] = "AKIDEXAMPLE";
        startInfo.Environment["AWS_SECRET_ACCESS_KEY"] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
        startInfo.Environment["DOTNET_ENVIRONMENT"] = "Production";
        startInfo.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        // The runtime's diagnostic pipes and socket in the temporary folder outlive a process killed by a test.
        startInfo.Environment["DOTNET_EnableDiagnostics"] = "0";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            startInfo.Environment[name] = value;
        }

        var process = new Process { StartInfo = startInfo, EnableRaisingEvents = true };
        var consumer = new ConsumerProcess(process);
        process.OutputDataReceived += (_, e) => consumer.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => consumer.OnLine(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return consumer;
    }

    /// <summary>Settings for a consumer of <paramref name="stream"/> loading into <paramref name="connectionString"/>,
    /// with short leases and its health port on a port the OS picks.</summary>
    public static Dictionary<string, string> Settings(Uri kinesisUrl, string stream, string connectionString, string workerId, TimeSpan? leaseDuration = null) => new()
    {
        ["Consumer:Kinesis:StreamName"] = stream,
        ["Consumer:Kinesis:ServiceUrl"] = kinesisUrl.ToString(),
        ["Consumer:Kinesis:Region"] = "us-east-1",
        ["Consumer:Warehouse:ConnectionString"] = connectionString,
        ["Consumer:WorkerId"] = workerId,
        ["Consumer:Leases:Duration"] = (leaseDuration ?? TimeSpan.FromSeconds(3)).ToString("c", CultureInfo.InvariantCulture),
        ["Consumer:Batching:Linger"] = "00:00:00.200",
        ["Consumer:Http:Urls"] = "http://127.0.0.1:0",
        ["Logging:LogLevel:Tracking.Consumer"] = "Debug",
    };

    /// <summary>Waits until a line matches <paramref name="pattern"/>, searching from line <paramref name="fromLine"/>.</summary>
    public Task<Match> WaitForOutputAsync(Regex pattern, TimeSpan timeout, int fromLine = 0) =>
        Eventually.FoundAsync<Match>(
            () =>
            {
                var lines = Lines;
                for (var i = fromLine; i < lines.Count; i++)
                {
                    var match = pattern.Match(lines[i]);
                    if (match.Success)
                    {
                        return match;
                    }
                }

                // Exited with every line read: it will never print it, so say so now rather than at the deadline.
                return _process.HasExited && Lines.Count == lines.Count
                    ? throw new InvalidOperationException($"The consumer exited with code {_process.ExitCode} before printing /{pattern}/:{Environment.NewLine}{Output}")
                    : null;
            },
            $"the consumer prints a line matching /{pattern}/",
            timeout,
            () => Output);

    /// <summary>Kills the process with SIGKILL: no shutdown code runs.</summary>
    public async Task KillAsync()
    {
        _process.Kill();
        await _process.WaitForExitAsync();
    }

    /// <summary>Sends a signal such as <c>STOP</c>, <c>CONT</c> or <c>TERM</c> to the process itself.</summary>
    public async Task SignalAsync(string signal)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { $"-{signal}", Id.ToString(CultureInfo.InvariantCulture) }, UseShellExecute = false })!;
        await kill.WaitForExitAsync();
        if (kill.ExitCode != 0)
        {
            throw new InvalidOperationException($"kill -{signal} {Id} failed with {kill.ExitCode}");
        }
    }

    /// <summary>Waits for the process to end on its own.</summary>
    public async Task WaitForExitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cancel.Token);
        _process.WaitForExit(); // drains the redirected output
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                await _process.WaitForExitAsync();
            }
        }
        catch (InvalidOperationException)
        {
            // Never started or already reaped.
        }

        _process.Dispose();
    }

    private void OnLine(string? line)
    {
        if (line is not null)
        {
            lock (_gate)
            {
                _lines.Add(line);
            }
        }
    }
}
