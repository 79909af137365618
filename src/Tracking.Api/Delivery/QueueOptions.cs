using Tracking.ServiceDefaults;

namespace Tracking.Api.Delivery;

/// <summary>Capacity of the queue between the endpoints and the sink. Bound to <c>Tracking:Queue</c>.</summary>
internal sealed class QueueOptions : IValidatedOptions
{
    public const string Section = "Tracking:Queue";

    /// <summary>Most events accepted but not yet acknowledged by the sink. Default 200,000.</summary>
    public int MaxEvents { get; set; } = 200_000;

    /// <summary>Most bytes of enriched JSON accepted but not yet acknowledged; this bounds the API's memory. Default 256 MiB.</summary>
    public long MaxBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>The <c>Retry-After</c> seconds sent with 503 when the queue is full. Default 5.</summary>
    public int RetryAfterSeconds { get; set; } = 5;

    /// <inheritdoc/>
    public IEnumerable<string> Validate()
    {
        if (MaxEvents < 1)
        {
            yield return "Tracking:Queue:MaxEvents must be at least 1.";
        }

        if (MaxBytes < 64 * 1024L)
        {
            yield return "Tracking:Queue:MaxBytes must be at least 65536 (two maximum-size messages).";
        }

        if (RetryAfterSeconds < 1 || RetryAfterSeconds > 3600)
        {
            yield return "Tracking:Queue:RetryAfterSeconds must be between 1 and 3600.";
        }
    }
}
