using Microsoft.Extensions.DependencyInjection;
using Tracking.Api.Tests.Support;
using Tracking.Testing.Time;

namespace Tracking.Api.Tests.Integration;

public class ServerClockTests
{
    [Fact]
    public async Task ReceivedAtAndTheSkewCorrectedTimestampComeFromTheServersClock()
    {
        // The server's clock says 12:00:00; the device's clock runs 2 h behind and sent the event 5 s after it happened.
        var clock = new FakeClock(new DateTimeOffset(2026, 11, 21, 12, 0, 0, TimeSpan.Zero));
        await using var api = new TrackingApiFactory(services: services => services.AddSingleton<TimeProvider>(clock));
        using var client = api.CreateAuthenticatedClient();

        var response = await client.PostAsync("/v1/track", Http.Json(
            """{"userId":"u","event":"E","messageId":"clock-1","timestamp":"2026-11-21T09:59:55Z","sentAt":"2026-11-21T10:00:00Z"}"""));
        response.EnsureSuccessStatusCode();
        await api.ShutdownAsync();

        var stored = Outbox.ReadEvents(api.OutboxDirectory).Single();
        Assert.Equal("2026-11-21T12:00:00.000Z", stored["receivedAt"]!.GetValue<string>());
        Assert.Equal("2026-11-21T11:59:55.000Z", stored["timestamp"]!.GetValue<string>());
        Assert.Equal("2026-11-21T09:59:55.000Z", stored["originalTimestamp"]!.GetValue<string>());
    }
}
