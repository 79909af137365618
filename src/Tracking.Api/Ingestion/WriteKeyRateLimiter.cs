using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace Tracking.Api.Ingestion;

/// <summary>
/// A token bucket per key, from the rate limiting library ASP.NET Core's rate limiter is built on.
/// The limits run in endpoint filters rather than as middleware because beacons carry the write
/// key in the body, which the middleware cannot see.
/// </summary>
internal abstract class TokenBuckets : IDisposable
{
    private readonly PartitionedRateLimiter<string>? _limiter;

    protected TokenBuckets(int perSecond, int burst)
    {
        if (perSecond == 0)
        {
            return;
        }

        _limiter = PartitionedRateLimiter.Create<string, string>(key => RateLimitPartition.GetTokenBucketLimiter(
            key,
            _ => new TokenBucketRateLimiterOptions
            {
                TokenLimit = burst == 0 ? perSecond : burst,
                TokensPerPeriod = perSecond,
                ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                QueueLimit = 0,
                AutoReplenishment = true,
            }));
    }

    /// <summary>Takes one request's permit for <paramref name="key"/>; when refused, says how long to wait.</summary>
    public bool TryAcquire(string key, out TimeSpan retryAfter)
    {
        retryAfter = TimeSpan.Zero;
        if (_limiter is null)
        {
            return true;
        }

        using var lease = _limiter.AttemptAcquire(key);
        if (lease.IsAcquired)
        {
            return true;
        }

        retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(1);
        return false;
    }

    public void Dispose() => _limiter?.Dispose();
}

/// <summary>Requests per second per write key (<c>Tracking:RateLimit:PermitsPerSecond</c>).</summary>
internal sealed class WriteKeyRateLimiter(IOptions<RateLimitOptions> options)
    : TokenBuckets(options.Value.PermitsPerSecond, options.Value.Burst);

/// <summary>
/// Requests per second per client address (<c>Tracking:RateLimit:PerAddressPermitsPerSecond</c>), so one
/// address cannot spend a source's whole budget: a web source's write key is public. The address is
/// the connection's, or the client's from <c>X-Forwarded-For</c> when the connection comes from a
/// trusted proxy; IPv6 clients are counted per /64, the block one subscriber usually holds.
/// </summary>
internal sealed class ClientAddressRateLimiter(IOptions<RateLimitOptions> options)
    : TokenBuckets(options.Value.PerAddressPermitsPerSecond, options.Value.PerAddressBurst);
