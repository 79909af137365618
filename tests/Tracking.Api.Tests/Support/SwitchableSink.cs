using Tracking.Api.Delivery;

namespace Tracking.Api.Tests.Support;

/// <summary>A sink that is down until the test brings it back: stands in for an unreachable stream.</summary>
internal sealed class SwitchableSink : IEventSink
{
    public volatile bool Down = true;
    public readonly List<string> Delivered = [];

    public string Name => "Switchable";

    public Task<DeliveryResult> DeliverAsync(IReadOnlyList<EnrichedEvent> batch, CancellationToken cancellationToken)
    {
        if (Down)
        {
            throw new HttpRequestException("connection refused");
        }

        lock (Delivered)
        {
            Delivered.AddRange(batch.Select(e => e.MessageId));
        }

        return Task.FromResult(DeliveryResult.Delivered);
    }

    public Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
