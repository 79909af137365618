using System.ComponentModel.DataAnnotations;

namespace Tracking.Api.Delivery;

/// <summary>Capacity of the queue between the endpoints and the sink. Bound to <c>Tracking:Queue</c>.</summary>
internal sealed class QueueOptions
{
    public const string Section = "Tracking:Queue";

    /// <summary>Most events accepted but not yet acknowledged by the sink. Default 200,000.</summary>
    [Range(1, int.MaxValue, ErrorMessage = "Tracking:Queue:MaxEvents must be at least 1.")]
    public int MaxEvents { get; set; } = 200_000;

    /// <summary>Most bytes of enriched JSON accepted but not yet acknowledged; this bounds the API's memory. Default 256 MiB.</summary>
    [Range(64 * 1024L, long.MaxValue, ErrorMessage = "Tracking:Queue:MaxBytes must be at least 65536 (two maximum-size messages).")]
    public long MaxBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>The <c>Retry-After</c> seconds sent with 503 when the queue is full. Default 5.</summary>
    [Range(1, 3600, ErrorMessage = "Tracking:Queue:RetryAfterSeconds must be between 1 and 3600.")]
    public int RetryAfterSeconds { get; set; } = 5;
}
