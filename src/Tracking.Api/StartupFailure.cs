using Microsoft.Extensions.Options;

namespace Tracking.Api;

/// <summary>
/// A start the configuration or the machine refuses (no write keys in Production, a setting out of
/// range, a port in use) ends with its reason as one line on standard error and exit code 1, not an
/// unhandled exception's stack trace and an abort.
/// </summary>
internal static class StartupFailure
{
    public const int ExitCode = 1;

    public static bool IsRefusal(Exception ex) =>
        ex is OptionsValidationException or InvalidOperationException or IOException;

    public static int Report(Exception ex)
    {
        var reason = ex is OptionsValidationException invalid
            ? string.Join(" ", invalid.Failures)
            : ex.Message;
        Console.Error.WriteLine($"Tracking.Api could not start: {reason.ReplaceLineEndings(" ")}");
        return ExitCode;
    }
}
