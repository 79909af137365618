using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace Tracking.Api.Ingestion;

/// <summary>
/// A token bucket per write key, from the rate limiting library ASP.NET Core's rate limiter is
/// built on. It runs in the endpoint rather than as middleware because beacons carry the write
/// key in the body, which the middleware cannot see.
/// </summary>
internal sealed class WriteKeyRateLimiter : IDisposable
{
    private readonly PartitionedRateLimiter<string>? _limiter;

    public WriteKeyRateLimiter(IOptions<RateLimitOptions> options)
    {
        var perSecond = options.Value.PermitsPerSecond;
        if (perSecond == 0)
        {
            return;
        }

        var burst = options.Value.Burst == 0 ? perSecond : options.Value.Burst;
        _limiter = PartitionedRateLimiter.Create<string, string>(writeKey => RateLimitPartition.GetTokenBucketLimiter(
            writeKey,
            _ => new TokenBucketRateLimiterOptions
            {
                TokenLimit = burst,
                TokensPerPeriod = perSecond,
                ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                QueueLimit = 0,
                AutoReplenishment = true,
            }));
    }

    /// <summary>Takes one request's permit; when refused, says how long to wait.</summary>
    public bool TryAcquire(string writeKey, out TimeSpan retryAfter)
    {
        retryAfter = TimeSpan.Zero;
        if (_limiter is null)
        {
            return true;
        }

        using var lease = _limiter.AttemptAcquire(writeKey);
        if (lease.IsAcquired)
        {
            return true;
        }

        retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(1);
        return false;
    }

    public void Dispose() => _limiter?.Dispose();
}
