using Tracking.ServiceDefaults;

namespace Tracking.Api.Limits;

/// <summary>What one client's connections and requests may cost the process. Bound to <c>Tracking:Limits</c>.</summary>
internal sealed class LimitsOptions : IValidatedOptions
{
    public const string Section = "Tracking:Limits";

    /// <summary>
    /// Connections held open at once; past it new connections are closed as they arrive. <c>0</c> (the default)
    /// derives it from the process's open-file limit (<c>ulimit -n</c>): the descriptors not open at start-up,
    /// less two thirds of them (at least 256) kept for the sinks, the outbox, the spool and the runtime.
    /// </summary>
    public int MaxConnections { get; set; }

    /// <summary>Ingestion requests processed at once (each may hold a 500 KB body and 2 MB of events). Default 64.</summary>
    public int MaxConcurrentRequests { get; set; } = 64;

    /// <summary>
    /// Ingestion requests one client address (IPv6: one /64) may have in progress or waiting at once; past it, 429.
    /// Keeps one address with slow bodies from holding every slot. <c>0</c> turns it off. Default 16.
    /// </summary>
    public int MaxConcurrentRequestsPerAddress { get; set; } = 16;

    /// <summary>Ingestion requests that wait for a turn (holding no body yet); past it the API answers 503. Default 1,000.</summary>
    public int QueuedRequests { get; set; } = 1000;

    /// <summary>The longest an ingestion request may take, waiting for a turn and its body included; past it the API answers 408. Default 30 s.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Bytes Kestrel reads ahead of the app per connection; a full buffer pauses the client (TCP backpressure). Default 64 KiB.</summary>
    public int RequestBufferBytes { get; set; } = 64 * 1024;

    /// <inheritdoc/>
    public IEnumerable<string> Validate()
    {
        if (MaxConnections < 0 || MaxConnections > 10_000_000)
        {
            yield return "Tracking:Limits:MaxConnections must be between 0 (derived from ulimit -n) and 10,000,000.";
        }

        if (MaxConcurrentRequests < 1 || MaxConcurrentRequests > 100_000)
        {
            yield return "Tracking:Limits:MaxConcurrentRequests must be between 1 and 100,000.";
        }

        if (MaxConcurrentRequestsPerAddress < 0 || MaxConcurrentRequestsPerAddress > 100_000)
        {
            yield return "Tracking:Limits:MaxConcurrentRequestsPerAddress must be between 0 (off) and 100,000.";
        }

        if (QueuedRequests < 0 || QueuedRequests > 1_000_000)
        {
            yield return "Tracking:Limits:QueuedRequests must be between 0 and 1,000,000.";
        }

        if (RequestBufferBytes < 4096 || RequestBufferBytes > 16 * 1024 * 1024)
        {
            yield return "Tracking:Limits:RequestBufferBytes must be between 4096 and 16 MiB.";
        }
    }
}
