using Tracking.Aws.Retries;
using Tracking.ServiceDefaults;

namespace Tracking.Api.Delivery;

/// <summary>When the batcher closes a batch and how many it sends at once. Bound to <c>Tracking:Batching</c>.</summary>
internal sealed class BatchingOptions : IValidatedOptions
{
    public const string Section = "Tracking:Batching";

    /// <summary>A batch closes at this many events. Default 500 (the PutRecords and PutRecordBatch limit).</summary>
    public int MaxEvents { get; set; } = 500;

    /// <summary>A batch closes before it would pass this many bytes. Default 4 MiB (the PutRecordBatch limit).</summary>
    public int MaxBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>A batch closes this long after its first event even when not full. Default 200 ms.</summary>
    public TimeSpan Linger { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Batches being delivered at the same time. Default 4.</summary>
    public int MaxInFlight { get; set; } = 4;

    /// <summary>First wait after a failed delivery; doubles with each failure, with jitter. Default 100 ms.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Longest wait between attempts at a failing sink. Default 30 s.</summary>
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The policy of every retry of the API's deliveries: a batch's delivery, a Kinesis lane's put, a stream check.
    /// Exponential from <see cref="RetryBaseDelay"/> to <see cref="RetryMaxDelay"/>, with equal jitter so many stalled
    /// batches do not retry in step, and no ceiling on attempts: nothing accepted is given up. The sinks' AWS clients
    /// make one attempt per call, so this is the only layer that retries.
    /// </summary>
    public RetryPolicy Retries() => new(RetryBaseDelay, RetryMaxDelay, Jitter.Equal);

    /// <summary>A delivery waiting this long for the sink makes /health/ready unhealthy (a hung endpoint) before its timeouts end it. Default 5 s.</summary>
    public TimeSpan StalledAfter { get; set; } = TimeSpan.FromSeconds(5);

    public IEnumerable<string> Validate()
    {
        if (MaxEvents is < 1 or > 500)
        {
            yield return $"{Section}:MaxEvents must be between 1 and 500 (PutRecords and PutRecordBatch take at most 500 records); it is {MaxEvents}.";
        }

        if (MaxBytes < Events.ProtocolLimits.MaxMessageBytes * 2)
        {
            yield return $"{Section}:MaxBytes must be at least {Events.ProtocolLimits.MaxMessageBytes * 2} so a batch holds two maximum-size events; it is {MaxBytes}.";
        }

        if (Linger <= TimeSpan.Zero || Linger > TimeSpan.FromMinutes(15))
        {
            yield return $"{Section}:Linger must be more than zero and at most 15 minutes; it is {Linger}.";
        }

        if (MaxInFlight is < 1 or > 64)
        {
            yield return $"{Section}:MaxInFlight must be between 1 and 64; it is {MaxInFlight}.";
        }

        if (StalledAfter <= TimeSpan.Zero)
        {
            yield return $"{Section}:StalledAfter must be more than zero; it is {StalledAfter}.";
        }

        if (RetryBaseDelay <= TimeSpan.Zero || RetryMaxDelay < RetryBaseDelay)
        {
            yield return $"{Section}:RetryBaseDelay must be more than zero and {Section}:RetryMaxDelay at least as long.";
        }
    }
}
