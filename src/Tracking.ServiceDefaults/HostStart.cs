using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Tracking.ServiceDefaults;

/// <summary>
/// How both hosts start, and the one exit-code scheme of every command here (the API, the consumer, the replay):
/// 0 after a clean stop, <see cref="SettingsRefused"/> when the settings (or command line) are refused,
/// <see cref="Unavailable"/> when something they point at cannot be used. A refused start ends with one line on
/// standard error, "<c>&lt;host&gt; cannot start: &lt;reason naming the setting&gt;</c>", not a stack trace. The filter
/// is narrow: anything else (a wiring bug, an exception of ours that is not a refusal) keeps its stack trace.
/// </summary>
public static class HostStart
{
    /// <summary>The settings or the command line were refused: a value out of range, missing, or not of its type.</summary>
    public const int SettingsRefused = 2;

    /// <summary>Something the settings point at could not be used at start: a database, a port, a folder, a file.</summary>
    public const int Unavailable = 3;

    /// <summary>
    /// Builds the app with <paramref name="build"/>, validates every option registered for validation at start, runs
    /// <paramref name="prepare"/>'s steps in order (migrations, lease tables), then serves until the host is told to
    /// stop. Returns the exit code.
    /// </summary>
    public static async Task<int> RunAsync(string name, Func<WebApplication> build, params Func<WebApplication, CancellationToken, Task>[] prepare)
    {
        ArgumentNullException.ThrowIfNull(build);
        ArgumentNullException.ThrowIfNull(prepare);
        WebApplication? app = null;
        try
        {
            app = build();

            // Settings are checked before anything starts, so a refusal is reported alone, naming every broken rule.
            app.Services.GetService<IStartupValidator>()?.Validate();
            foreach (var step in prepare)
            {
                await step(app, app.Lifetime.ApplicationStopping);
            }

            await app.StartAsync();
            await app.WaitForShutdownAsync();
            return 0;
        }
        catch (Exception exception) when (Refusal(exception) is { } refusal)
        {
            await Console.Error.WriteLineAsync($"{name} cannot start: {refusal.Reason.ReplaceLineEndings(" ")}");
            return refusal.ExitCode;
        }
        finally
        {
            if (app is not null)
            {
                await app.DisposeAsync();
            }
        }
    }

    /// <summary>The reason and exit code of a refused start, or null when <paramref name="exception"/> is not one.</summary>
    internal static (string Reason, int ExitCode)? Refusal(Exception exception) => exception switch
    {
        OptionsValidationException invalid => (string.Join(" ", invalid.Failures), SettingsRefused),

        // The configuration binder's refusal of a value it cannot convert, e.g. Tracking:Queue:MaxEvents=lots.
        InvalidOperationException { Message: var message, InnerException: var inner }
            when message.StartsWith("Failed to convert configuration value", StringComparison.Ordinal) =>
            (inner is null ? message : $"{message} {inner.Message}", SettingsRefused),
        StartRefusedException refused => (refused.Message, Unavailable),

        // The machine's refusals: a port in use, a folder that cannot be created or written. Not an assembly missing
        // from the install (FileNotFoundException, FileLoadException): that is a broken build, and its trace says which.
        IOException and not (FileNotFoundException or FileLoadException) or UnauthorizedAccessException => (exception.Message, Unavailable),
        AggregateException aggregate => Together([.. aggregate.InnerExceptions.Select(Refusal)]),
        _ => null,
    };

    /// <summary>Several refusals as one, with the graver code; null when there are none or any one is not a refusal.</summary>
    private static (string Reason, int ExitCode)? Together(List<(string Reason, int ExitCode)?> refusals) =>
        refusals.Count > 0 && refusals.TrueForAll(r => r is not null)
            ? (string.Join(" ", refusals.Select(r => r!.Value.Reason)), refusals.Max(r => r!.Value.ExitCode))
            : null;
}
