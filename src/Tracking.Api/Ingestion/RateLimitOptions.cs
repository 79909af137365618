using Tracking.ServiceDefaults;

namespace Tracking.Api.Ingestion;

/// <summary>Request rates per write key and per client address. Bound to <c>Tracking:RateLimit</c>.</summary>
internal sealed class RateLimitOptions : IValidatedOptions
{
    public const string Section = "Tracking:RateLimit";

    /// <summary>Requests per second each write key may make; <c>0</c> turns limiting off. Default 1,000.</summary>
    public int PermitsPerSecond { get; set; } = 1000;

    /// <summary>Requests a key may make at once after being idle; <c>0</c> means the same as <see cref="PermitsPerSecond"/>. Default 0.</summary>
    public int Burst { get; set; }

    /// <summary>Requests per second each client address may make (IPv6: each /64); <c>0</c> turns it off. Default 200.</summary>
    public int PerAddressPermitsPerSecond { get; set; } = 200;

    /// <summary>Requests an address may make at once after being idle; <c>0</c> means the same as <see cref="PerAddressPermitsPerSecond"/>. Default 0.</summary>
    public int PerAddressBurst { get; set; }

    /// <inheritdoc/>
    public IEnumerable<string> Validate()
    {
        if (PermitsPerSecond < 0 || PermitsPerSecond > 1_000_000)
        {
            yield return "Tracking:RateLimit:PermitsPerSecond must be between 0 (off) and 1,000,000.";
        }

        if (Burst < 0 || Burst > 10_000_000)
        {
            yield return "Tracking:RateLimit:Burst must be between 0 and 10,000,000.";
        }

        if (PerAddressPermitsPerSecond < 0 || PerAddressPermitsPerSecond > 1_000_000)
        {
            yield return "Tracking:RateLimit:PerAddressPermitsPerSecond must be between 0 (off) and 1,000,000.";
        }

        if (PerAddressBurst < 0 || PerAddressBurst > 10_000_000)
        {
            yield return "Tracking:RateLimit:PerAddressBurst must be between 0 and 10,000,000.";
        }
    }
}
