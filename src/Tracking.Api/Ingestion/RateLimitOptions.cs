using System.ComponentModel.DataAnnotations;

namespace Tracking.Api.Ingestion;

/// <summary>Request rates per write key and per client address. Bound to <c>Tracking:RateLimit</c>.</summary>
internal sealed class RateLimitOptions
{
    public const string Section = "Tracking:RateLimit";

    /// <summary>Requests per second each write key may make; <c>0</c> turns limiting off. Default 1,000.</summary>
    [Range(0, 1_000_000, ErrorMessage = "Tracking:RateLimit:PermitsPerSecond must be between 0 (off) and 1,000,000.")]
    public int PermitsPerSecond { get; set; } = 1000;

    /// <summary>Requests a key may make at once after being idle; <c>0</c> means the same as <see cref="PermitsPerSecond"/>. Default 0.</summary>
    [Range(0, 10_000_000, ErrorMessage = "Tracking:RateLimit:Burst must be between 0 and 10,000,000.")]
    public int Burst { get; set; }

    /// <summary>Requests per second each client address may make (IPv6: each /64); <c>0</c> turns it off. Default 200.</summary>
    [Range(0, 1_000_000, ErrorMessage = "Tracking:RateLimit:PerAddressPermitsPerSecond must be between 0 (off) and 1,000,000.")]
    public int PerAddressPermitsPerSecond { get; set; } = 200;

    /// <summary>Requests an address may make at once after being idle; <c>0</c> means the same as <see cref="PerAddressPermitsPerSecond"/>. Default 0.</summary>
    [Range(0, 10_000_000, ErrorMessage = "Tracking:RateLimit:PerAddressBurst must be between 0 and 10,000,000.")]
    public int PerAddressBurst { get; set; }
}
