using System.Diagnostics;
using Xunit;

namespace Tracking.Testing;

/// <summary>
/// The one wait on a condition for every test: polls until the condition holds and fails, saying what was awaited,
/// once a deadline of real time has passed, instead of sleeping a fixed time and hoping. An exception the condition
/// throws ends the wait at once (a process that exited, a bug) rather than being retried until the deadline.
/// </summary>
public static class Eventually
{
    /// <summary>The deadline when a test names none: 20 s, long enough for a loaded machine, short enough to fail a hung test.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(20);

    private static readonly TimeSpan FirstPause = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan LongestPause = TimeSpan.FromMilliseconds(100);

    /// <summary>Waits until <paramref name="condition"/> is true.</summary>
    /// <param name="condition">Polled until true; cheap to call often.</param>
    /// <param name="because">What is awaited, as the end of "waiting until …": it is the failure's message.</param>
    /// <param name="timeout">Real time before the wait fails; <see langword="null"/> for <see cref="DefaultTimeout"/>.</param>
    /// <param name="state">What the failure adds after the message: the state last seen, a process's output.</param>
    public static Task TrueAsync(Func<bool> condition, string because, TimeSpan? timeout = null, Func<string>? state = null)
    {
        ArgumentNullException.ThrowIfNull(condition);
        return TrueAsync(() => Task.FromResult(condition()), because, timeout, state);
    }

    /// <summary>Waits until <paramref name="condition"/> is true.</summary>
    /// <param name="condition">Polled until true: a query, a request.</param>
    /// <param name="because">What is awaited, as the end of "waiting until …": it is the failure's message.</param>
    /// <param name="timeout">Real time before the wait fails; <see langword="null"/> for <see cref="DefaultTimeout"/>.</param>
    /// <param name="state">What the failure adds after the message: the state last seen, a process's output.</param>
    public static async Task TrueAsync(Func<Task<bool>> condition, string because, TimeSpan? timeout = null, Func<string>? state = null)
    {
        ArgumentNullException.ThrowIfNull(condition);
        await FoundAsync(async () => await condition().ConfigureAwait(false) ? Found.Instance : null, because, timeout, state).ConfigureAwait(false);
    }

    /// <summary>Waits until <paramref name="find"/> finds something, and returns it.</summary>
    /// <param name="find">Polled until it returns other than <see langword="null"/>; cheap to call often.</param>
    /// <param name="because">What is awaited, as the end of "waiting until …": it is the failure's message.</param>
    /// <param name="timeout">Real time before the wait fails; <see langword="null"/> for <see cref="DefaultTimeout"/>.</param>
    /// <param name="state">What the failure adds after the message: the state last seen, a process's output.</param>
    public static Task<T> FoundAsync<T>(Func<T?> find, string because, TimeSpan? timeout = null, Func<string>? state = null)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(find);
        return FoundAsync(() => Task.FromResult(find()), because, timeout, state);
    }

    /// <summary>Waits until <paramref name="find"/> finds something, and returns it.</summary>
    /// <param name="find">Polled until it returns other than <see langword="null"/>: a query, a request.</param>
    /// <param name="because">What is awaited, as the end of "waiting until …": it is the failure's message.</param>
    /// <param name="timeout">Real time before the wait fails; <see langword="null"/> for <see cref="DefaultTimeout"/>.</param>
    /// <param name="state">What the failure adds after the message: the state last seen, a process's output.</param>
    public static async Task<T> FoundAsync<T>(Func<Task<T?>> find, string because, TimeSpan? timeout = null, Func<string>? state = null)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(find);
        var limit = timeout ?? DefaultTimeout;
        var waited = Stopwatch.StartNew();
        var pause = FirstPause;
        while (true)
        {
            if (await find().ConfigureAwait(false) is { } found)
            {
                return found;
            }

            if (waited.Elapsed > limit)
            {
                var seen = state?.Invoke();
                Assert.Fail($"Timed out after {limit.TotalSeconds:0.#} s waiting until {because}.{(string.IsNullOrEmpty(seen) ? string.Empty : Environment.NewLine + seen)}");
            }

            // Quick at first, for what is nearly there; then gentler, for queries and requests that take a while.
            await Task.Delay(pause).ConfigureAwait(false);
            pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, LongestPause.Ticks));
        }
    }

    private sealed class Found
    {
        public static readonly Found Instance = new();
    }
}
