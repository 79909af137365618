using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Tracking.Testing;

namespace Tracking.Api.Tests.Support;

/// <summary>
/// The API as its users run it: <c>dotnet Tracking.Api.dll</c> in a child process, from any working
/// directory, with settings in its environment. For what only the real entry point shows: exit
/// codes, what reaches the console, where it finds its own files.
/// </summary>
public sealed partial class ApiProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    // The spool folder each run gets unless the test names one; deleted with the process.
    private readonly string _defaultSpool;

    private ApiProcess(Process process, string defaultSpool)
    {
        _process = process;
        _defaultSpool = defaultSpool;
    }

    /// <summary>The build of the API beside the test binaries (Tracking.Api.dll with its runtimeconfig and deps).</summary>
    public static string BuiltDll => Path.Combine(AppContext.BaseDirectory, "Tracking.Api.dll");

    /// <summary>stdout and stderr so far, interleaved.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public Uri? BaseAddress { get; private set; }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>The process's resident memory now, from /proc.</summary>
    public long ResidentBytes()
    {
        _process.Refresh();
        return _process.WorkingSet64;
    }

    /// <summary>Runs <paramref name="dll"/> until it exits by itself (a refused start) and returns its exit code, stdout and stderr.</summary>
    public static async Task<(int ExitCode, string StdOut, string StdErr)> RunToExitAsync(string dll, IDictionary<string, string> environment, string workingDirectory = "/")
    {
        var spool = TemporaryFolder.NewPath("spool-");
        try
        {
            using var process = Process.Start(StartInfo(dll, environment, workingDirectory, spool))!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                Assert.Fail($"The API did not exit within 60 s: {await stdout}{await stderr}");
            }

            return (process.ExitCode, await stdout, await stderr);
        }
        finally
        {
            TemporaryFolder.Delete(spool);
        }
    }

    /// <summary>
    /// Starts <paramref name="dll"/> on a free loopback port and waits until it reports where it listens; with
    /// <paramref name="openFileLimit"/>, under that <c>ulimit -n</c> (the shell execs dotnet, so the process is dotnet's own).
    /// </summary>
    public static async Task<ApiProcess> StartAsync(string dll, IDictionary<string, string> environment, string workingDirectory = "/", int? openFileLimit = null)
    {
        var settings = new Dictionary<string, string>(environment) { ["ASPNETCORE_URLS"] = "http://127.0.0.1:0" };
        var spool = TemporaryFolder.NewPath("spool-");
        var start = StartInfo(dll, settings, workingDirectory, spool);
        if (openFileLimit is { } limit)
        {
            start.FileName = "bash";
            start.ArgumentList.Clear();
            foreach (var arg in (string[])["-c", $"ulimit -n {limit} && exec dotnet \"$0\"", dll])
            {
                start.ArgumentList.Add(arg);
            }
        }

        var api = new ApiProcess(Process.Start(start)!, spool);
        api._process.OutputDataReceived += (_, e) => api.Append(e.Data);
        api._process.ErrorDataReceived += (_, e) => api.Append(e.Data);
        api._process.BeginOutputReadLine();
        api._process.BeginErrorReadLine();
        try
        {
            await Eventually.TrueAsync(
                () =>
                {
                    if (api._process.HasExited)
                    {
                        Assert.Fail($"The API exited with {api._process.ExitCode} while starting: {api.Output}");
                    }

                    var listening = ListeningOn().Match(api.Output);
                    api.BaseAddress = listening.Success ? new Uri(listening.Groups[1].Value) : null;
                    return api.BaseAddress is not null;
                },
                "the API says where it listens",
                TimeSpan.FromSeconds(60));
        }
        catch
        {
            // The caller never gets the process to dispose: stop it and delete its spool here.
            await api.DisposeAsync();
            throw;
        }

        return api;
    }

    public HttpClient CreateClient() => new() { BaseAddress = BaseAddress };

    /// <summary>Kills the process itself (SIGKILL): no shutdown, no flush, as a crash or the OOM killer would.</summary>
    public async Task KillAsync()
    {
        _process.Kill();
        await _process.WaitForExitAsync();
    }

    /// <summary>Asks the API to stop as a service manager does (SIGTERM) and waits for it to exit.</summary>
    public async Task<int> StopAsync()
    {
        if (!_process.HasExited)
        {
            if (Signal(_process.Id, 15) != 0)
            {
                Assert.Fail($"kill -TERM {_process.Id} failed: errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()}");
            }

            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await _process.WaitForExitAsync(timeout.Token);
        }

        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        TemporaryFolder.Delete(_defaultSpool);
    }

    private static ProcessStartInfo StartInfo(string dll, IDictionary<string, string> environment, string workingDirectory, string defaultSpool)
    {
        var start = new ProcessStartInfo("dotnet", [dll])
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("Tracking__", StringComparison.Ordinal) || k.StartsWith("ASPNETCORE_", StringComparison.Ordinal) || k.StartsWith("DOTNET_", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(name);
        }

        start.Environment["DOTNET_NOLOGO"] = "1";
        // The runtime's diagnostic pipes and socket in the temporary folder outlive a process killed by a test.
        start.Environment["DOTNET_EnableDiagnostics"] = "0";

        // Each run spools into a folder of its own unless the test names one: the default lies beside the dll, shared by every test.
        start.Environment["Tracking__Spool__Directory"] = defaultSpool;
        start.Environment["Tracking__Suppression__Path"] = Path.Combine(defaultSpool, "suppressions.json");
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        return start;
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Signal(int pid, int signal);

    [GeneratedRegex(@"Now listening on: (http://127\.0\.0\.1:\d+)")]
    private static partial Regex ListeningOn();
}
