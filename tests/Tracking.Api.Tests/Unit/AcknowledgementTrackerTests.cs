using Tracking.Api.Delivery;

namespace Tracking.Api.Tests.Unit;

public class AcknowledgementTrackerTests
{
    [Fact]
    public void TheWatermarkWaitsForTheOldestOutstandingEventWhateverOrderAcknowledgementsCome()
    {
        var tracker = new AcknowledgementTracker();
        for (var p = 1; p <= 5; p++)
        {
            tracker.Read(p, p * 10);
        }

        Assert.True(tracker.Acknowledge(3));
        Assert.True(tracker.Acknowledge(2));
        Assert.Equal(1, tracker.Watermark);
        Assert.Equal(new DateTimeOffset(10, TimeSpan.Zero), tracker.OldestAcceptedAt);

        Assert.True(tracker.Acknowledge(1));
        Assert.Equal(4, tracker.Watermark);
        Assert.Equal(2, tracker.Outstanding);
        Assert.False(tracker.Acknowledge(2));
    }

    [Fact]
    public void PositionsSkippedBetweenReadsDoNotHoldTheWatermarkBack()
    {
        var tracker = new AcknowledgementTracker();
        tracker.Read(1, 1);
        tracker.Read(7, 7);

        tracker.Acknowledge(1);

        Assert.Equal(7, tracker.Watermark);
    }
}
