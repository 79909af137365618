using Tracking.Aws.Retries;

namespace Tracking.Aws.Tests.Unit;

public class BackoffTests
{
    private static readonly AwsRetryOptions Options = new()
    {
        BaseDelay = TimeSpan.FromMilliseconds(100),
        MaxDelay = TimeSpan.FromSeconds(1),
    };

    [Theory]
    [InlineData(1, 100)]
    [InlineData(2, 200)]
    [InlineData(3, 400)]
    [InlineData(4, 800)]
    [InlineData(5, 1000)]
    [InlineData(60, 1000)]
    public void CeilingDoublesWithEachRetryUpToMaxDelay(int retry, int expectedMilliseconds)
    {
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMilliseconds), Backoff.Ceiling(Options, retry));
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.5)]
    [InlineData(0.999999)]
    public void FullJitterDrawsBetweenZeroAndTheCeiling(double random)
    {
        var delay = Backoff.FullJitter(Options, 3, random);

        Assert.InRange(delay, TimeSpan.Zero, TimeSpan.FromMilliseconds(400));
        Assert.Equal(TimeSpan.FromMilliseconds(400 * random).TotalMilliseconds, delay.TotalMilliseconds, precision: 3);
    }
}
