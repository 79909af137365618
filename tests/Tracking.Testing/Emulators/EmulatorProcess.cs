using System.ComponentModel;
using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Tracking.Testing.Emulators;

/// <summary>
/// A Node.js emulator run as a child process: its output is kept for error messages, readiness is awaited by
/// condition with a timeout, and the whole process tree is killed on dispose.
/// </summary>
public sealed class EmulatorProcess : IAsyncDisposable
{
    private const int KeptOutputLines = 200;

    private readonly Process _process;
    private readonly string _name;
    private readonly Lock _gate = new();
    private readonly Queue<string> _output = new();
    private readonly List<(Regex Pattern, TaskCompletionSource<Match> Found)> _watchers = [];

    private EmulatorProcess(string name, Process process)
    {
        _name = name;
        _process = process;
    }

    /// <summary>The last lines the process wrote to stdout and stderr.</summary>
    public string RecentOutput
    {
        get
        {
            lock (_gate)
            {
                return string.Join(Environment.NewLine, _output);
            }
        }
    }

    /// <summary>Starts <c>node</c> (or the <c>NODE</c> environment variable's path) with the given arguments.</summary>
    /// <param name="name">A name for messages, e.g. <c>kinesalite</c>.</param>
    /// <param name="workingDirectory">The working directory (kinesis-local reads <c>server.json</c> from it).</param>
    /// <param name="arguments">Arguments to node, starting with the script.</param>
    /// <param name="environment">Extra environment variables.</param>
    public static EmulatorProcess Start(string name, string workingDirectory, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        var startInfo = new ProcessStartInfo(Environment.GetEnvironmentVariable("NODE") ?? "node")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            startInfo.Environment[key] = value;
        }

        var process = new Process { StartInfo = startInfo, EnableRaisingEvents = true };
        var emulator = new EmulatorProcess(name, process);
        process.OutputDataReceived += (_, e) => emulator.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => emulator.OnLine(e.Data);
        try
        {
            process.Start();
        }
        catch (Win32Exception exception)
        {
            process.Dispose();
            throw new InvalidOperationException($"Could not start {name}: Node.js is needed on the PATH (apt-get install -y nodejs npm), or set NODE to its path.", exception);
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return emulator;
    }

    /// <summary>Waits until a line of output matches <paramref name="pattern"/> and returns the match.</summary>
    /// <summary>Sends <paramref name="signal"/> (SIGSTOP 19, SIGCONT 18, ...) to the emulator's own process.</summary>
    public void Signal(int signal)
    {
        if (Kill(_process.Id, signal) != 0)
        {
            throw new InvalidOperationException($"kill -{signal} {_process.Id} failed: errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()}");
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    public async Task<Match> WaitForOutputAsync(Regex pattern, TimeSpan timeout)
    {
        var found = new TaskCompletionSource<Match>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            foreach (var line in _output)
            {
                var match = pattern.Match(line);
                if (match.Success)
                {
                    return match;
                }
            }

            _watchers.Add((pattern, found));
        }

        using var timeoutSource = new CancellationTokenSource(timeout);
        var exited = _process.WaitForExitAsync(timeoutSource.Token);
        var first = await Task.WhenAny(found.Task, exited, Task.Delay(Timeout.Infinite, timeoutSource.Token)).ConfigureAwait(false);
        if (first == found.Task)
        {
            return await found.Task.ConfigureAwait(false);
        }

        throw Failure(_process.HasExited ? $"exited with code {_process.ExitCode} before printing /{pattern}/" : $"printed nothing matching /{pattern}/ within {timeout}");
    }

    /// <summary>Waits until <paramref name="url"/> answers any HTTP request (any status counts: it is listening).</summary>
    public async Task WaitUntilAnsweringAsync(Uri url, TimeSpan timeout)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };

        // Polling: the emulator gives no other readiness signal.
        await Eventually.TrueAsync(
            async () =>
            {
                if (_process.HasExited)
                {
                    throw Failure($"exited with code {_process.ExitCode} before answering on {url}");
                }

                try
                {
                    using var content = new StringContent("{}");
                    using var response = await http.PostAsync(url, content).ConfigureAwait(false);
                    return true;
                }
                catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException)
                {
                    return false;
                }
            },
            $"the {_name} emulator answers on {url}",
            timeout,
            () => $"Its last output:{Environment.NewLine}{RecentOutput}").ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await _process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is InvalidOperationException or OperationCanceledException)
        {
            // Already gone, or refusing to die: nothing more a test run can do.
        }
        finally
        {
            _process.Dispose();
        }
    }

    private InvalidOperationException Failure(string what) =>
        new($"The {_name} emulator {what}. Its last output:{Environment.NewLine}{RecentOutput}");

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        List<(Regex Pattern, TaskCompletionSource<Match> Found)> matched = [];
        lock (_gate)
        {
            _output.Enqueue(line);
            while (_output.Count > KeptOutputLines)
            {
                _output.Dequeue();
            }

            foreach (var watcher in _watchers)
            {
                var match = watcher.Pattern.Match(line);
                if (match.Success)
                {
                    matched.Add(watcher);
                    watcher.Found.TrySetResult(match);
                }
            }

            _watchers.RemoveAll(matched.Contains);
        }
    }
}
