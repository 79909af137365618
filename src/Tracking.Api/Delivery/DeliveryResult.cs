namespace Tracking.Api.Delivery;

/// <summary>What a delivery left undone: the events to send again and why, or nothing.</summary>
internal readonly record struct DeliveryResult(IReadOnlyList<EnrichedEvent> Failed, string? FailureReason)
{
    public static DeliveryResult Delivered { get; } = new([], null);

    public bool AllDelivered => Failed.Count == 0;
}
