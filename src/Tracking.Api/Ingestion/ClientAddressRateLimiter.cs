using Microsoft.Extensions.Options;

namespace Tracking.Api.Ingestion;

/// <summary>
/// Requests per second per client address (<c>Tracking:RateLimit:PerAddressPermitsPerSecond</c>), so one
/// address cannot spend a source's whole budget: a web source's write key is public. The address is
/// the connection's, or the client's from <c>X-Forwarded-For</c> when the connection comes from a
/// trusted proxy; IPv6 clients are counted per /64, the block one subscriber usually holds.
/// </summary>
internal sealed class ClientAddressRateLimiter(IOptions<RateLimitOptions> options)
    : TokenBuckets(options.Value.PerAddressPermitsPerSecond, options.Value.PerAddressBurst);
