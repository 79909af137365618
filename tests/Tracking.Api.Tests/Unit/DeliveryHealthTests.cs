using Tracking.Api.Delivery;

namespace Tracking.Api.Tests.Unit;

public class DeliveryHealthTests
{
    [Fact]
    public void OneComponentsSuccessDoesNotClearAnothersFailure()
    {
        var status = new DeliveryHealth();
        var now = DateTimeOffset.UnixEpoch;

        status.Failed(DeliveryHealth.Stream, "Kinesis sink: access denied", now);
        status.Succeeded(DeliveryHealth.Puts);

        Assert.Equal("Kinesis sink: access denied", status.LastError);
        Assert.Equal(now, status.FailingSince);

        status.Succeeded(DeliveryHealth.Stream);
        Assert.Null(status.LastError);
    }
}
