using System.Threading.RateLimiting;

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
