using Tracking.Api.Delivery.Kinesis;
using Tracking.Testing.Time;

namespace Tracking.Api.Tests.Unit;

/// <summary>The per-shard send rate: token buckets for records and bytes, halved on throttling, raised again over time.</summary>
public class KinesisSendRateTests
{
    private const int Quota = 1_000;
    private const int ByteQuota = 1024 * 1024;

    private readonly FakeClock _clock = new(new DateTimeOffset(2026, 11, 21, 10, 0, 0, TimeSpan.Zero));

    private ShardSendRate NewRate(int records = Quota, int bytes = ByteQuota) => new(records, bytes, _clock);

    private static int[] Sizes(int count, int size = 100) => Enumerable.Repeat(size, count).ToArray();

    [Fact]
    public void ItStartsAtTheShardQuotaWithOneSecondOfItReady()
    {
        var rate = NewRate();

        Assert.Equal((500, TimeSpan.Zero), rate.Take(Sizes(500)));
        Assert.Equal((500, TimeSpan.Zero), rate.Take(Sizes(500)));
        Assert.Equal((0, TimeSpan.FromMilliseconds(500)), rate.Take(Sizes(500)));

        _clock.Advance(TimeSpan.FromMilliseconds(500));
        Assert.Equal((500, TimeSpan.Zero), rate.Take(Sizes(500)));
        Assert.Equal(Quota, rate.RecordsPerSecond);
    }

    [Fact]
    public void ThrottlingHalvesBothRatesAndEmptiesTheBuckets()
    {
        var rate = NewRate();

        rate.Throttled();

        Assert.Equal(Quota / 2, rate.RecordsPerSecond);
        Assert.Equal(ByteQuota / 2, rate.BytesPerSecond);
        Assert.Equal((0, TimeSpan.FromMilliseconds(200)), rate.Take(Sizes(100)));
        _clock.Advance(TimeSpan.FromMilliseconds(200));
        Assert.Equal((100, TimeSpan.Zero), rate.Take(Sizes(100)));
    }

    [Fact]
    public void RepeatedThrottlingNeverTakesTheRateBelowOnePercentOfTheQuota()
    {
        var rate = NewRate();

        for (var i = 0; i < 20; i++)
        {
            rate.Throttled();
            _clock.Advance(TimeSpan.FromMilliseconds(10));
        }

        Assert.Equal(Quota * ShardSendRate.FloorShare, rate.RecordsPerSecond);
        Assert.Equal(ByteQuota * ShardSendRate.FloorShare, rate.BytesPerSecond);
    }

    [Fact]
    public void SuccessRaisesTheRateByAFifthOfTheQuotaPerSecondSinceTheLastChangeUpToTheQuota()
    {
        var rate = NewRate();
        rate.Throttled();
        rate.Throttled();
        Assert.Equal(250, rate.RecordsPerSecond);

        _clock.Advance(TimeSpan.FromSeconds(1));
        rate.Succeeded();
        Assert.Equal(450, rate.RecordsPerSecond, precision: 6);

        _clock.Advance(TimeSpan.FromMilliseconds(500));
        rate.Succeeded();
        Assert.Equal(550, rate.RecordsPerSecond, precision: 6);

        _clock.Advance(TimeSpan.FromSeconds(10));
        rate.Succeeded();
        Assert.Equal(Quota, rate.RecordsPerSecond);
        Assert.Equal(ByteQuota, rate.BytesPerSecond);
    }

    [Fact]
    public void AtALowRateItWaitsForASecondsWorthInsteadOfTricklingOutSingleRecords()
    {
        var rate = NewRate(records: 100);

        Assert.Equal((100, TimeSpan.Zero), rate.Take(Sizes(500)));
        var (count, wait) = rate.Take(Sizes(400));

        Assert.Equal(0, count);
        Assert.Equal(TimeSpan.FromSeconds(1), wait);
        _clock.Advance(TimeSpan.FromMilliseconds(300));
        Assert.Equal((0, TimeSpan.FromMilliseconds(700)), rate.Take(Sizes(400)));
    }

    [Fact]
    public void LargeRecordsAreLimitedByTheByteRate()
    {
        var rate = NewRate();

        Assert.Equal((3, TimeSpan.Zero), rate.Take(Sizes(10, size: 300 * 1024)));
        Assert.Equal((0, TimeSpan.FromMilliseconds(758)), rate.Take(Sizes(10, size: 300 * 1024)));
    }

    [Fact]
    public void ARecordLargerThanASecondOfBytesGoesAloneOnceTheBucketIsFullAndItsOverdraftIsWaitedOff()
    {
        var rate = NewRate(bytes: 100_000);

        Assert.Equal((1, TimeSpan.Zero), rate.Take([150_000, 10]));
        var (count, wait) = rate.Take([10]);

        Assert.Equal(0, count);
        Assert.Equal(TimeSpan.FromMilliseconds(501), wait);
    }
}
