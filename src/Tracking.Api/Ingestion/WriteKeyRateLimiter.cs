using Microsoft.Extensions.Options;

namespace Tracking.Api.Ingestion;

/// <summary>Requests per second per write key (<c>Tracking:RateLimit:PermitsPerSecond</c>).</summary>
internal sealed class WriteKeyRateLimiter(IOptions<RateLimitOptions> options)
    : TokenBuckets(options.Value.PermitsPerSecond, options.Value.Burst);
