using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Tracking.ServiceDefaults;

/// <summary>
/// Wrong admin keys per client address, for the API's login form and bearer tokens and the consumer's bearer
/// tokens: after <see cref="Allowed"/> wrong keys within <see cref="Window"/>, the address is refused (429 with
/// Retry-After) until the window ends, whatever key it sends, so guessing the key over HTTP goes no faster
/// than that. Only wrong keys count: an operator's right key, or a request with no key, costs nothing.
/// </summary>
public sealed partial class AdminKeyGuesses : IDisposable
{
    /// <summary>Wrong keys an address may send per window.</summary>
    public const int Allowed = 10;

    private readonly PartitionedRateLimiter<string> _wrong;
    private readonly ILogger _logger;

    public AdminKeyGuesses(ILogger<AdminKeyGuesses> logger)
        : this(TimeSpan.FromMinutes(1), logger)
    {
    }

    internal AdminKeyGuesses(TimeSpan window, ILogger? logger = null)
    {
        Window = window;
        _logger = logger ?? NullLogger.Instance;
        _wrong = PartitionedRateLimiter.Create<string, string>(address => RateLimitPartition.GetFixedWindowLimiter(
            address,
            _ => new FixedWindowRateLimiterOptions { PermitLimit = Allowed, Window = window, QueueLimit = 0, AutoReplenishment = true }));
    }

    /// <summary>How long an address's count of wrong keys lasts.</summary>
    public TimeSpan Window { get; }

    /// <summary>True when <paramref name="address"/> has sent its allowance of wrong keys; then says how long until it may try again.</summary>
    public bool LockedOut(string address, out TimeSpan retryAfter)
    {
        // Asking for no permit only looks: it fails, with the wait, when the window's permits are spent.
        using var look = _wrong.AttemptAcquire(address, permitCount: 0);
        if (look.IsAcquired)
        {
            retryAfter = TimeSpan.Zero;
            return false;
        }

        retryAfter = look.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : Window;
        return true;
    }

    /// <summary>Counts a wrong key from <paramref name="address"/>.</summary>
    public void Wrong(string address)
    {
        using var lease = _wrong.AttemptAcquire(address);
        if (lease.IsAcquired && _wrong.GetStatistics(address)?.CurrentAvailablePermits == 0)
        {
            // The allowance just ran out: said once per window, so an attack shows in the log.
            LogShutOut(_logger, address, Allowed, Window.TotalSeconds);
        }
    }

    /// <summary>Answers a locked-out address: 429, Retry-After, and a problem document saying why.</summary>
    public Task RefuseAsync(HttpContext http, TimeSpan retryAfter)
    {
        http.Response.Headers.RetryAfter = RetryAfterSeconds(retryAfter);
        return TypedResults.Problem(
            statusCode: StatusCodes.Status429TooManyRequests,
            title: "Too many wrong admin keys",
            detail: $"This client address sent {Allowed} wrong admin keys within {Window.TotalSeconds:0} s; no key is checked from it until the Retry-After seconds have passed.").ExecuteAsync(http);
    }

    /// <summary>Retry-After's value for <paramref name="retryAfter"/>: whole seconds, at least one.</summary>
    public static string RetryAfterSeconds(TimeSpan retryAfter) =>
        Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);

    public void Dispose() => _wrong.Dispose();

    [LoggerMessage(Level = LogLevel.Warning, Message = "The client address {Address} sent {Allowed} wrong admin keys within {Seconds} s; no admin key is accepted from it until that time has passed")]
    private static partial void LogShutOut(ILogger logger, string address, int allowed, double seconds);
}
