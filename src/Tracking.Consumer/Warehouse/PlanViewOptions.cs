namespace Tracking.Consumer.Warehouse;

/// <summary>
/// The tracking plans the consumer builds per-event views from, one per source, bound from
/// <c>Consumer:TrackingPlans:&lt;source name&gt;</c> as the API binds <c>Tracking:TrackingPlans:&lt;source name&gt;</c>
/// (point both at the same files). Default: none, so no per-event view is made, and any the consumer made before is dropped.
/// </summary>
public sealed class PlanViewOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Consumer";

    /// <summary>Where each setting of a source's plan lives, for messages.</summary>
    public static string SettingOf(string source, string setting) => $"{Section}:TrackingPlans:{source}:{setting}";

    /// <summary>Plan settings by source name (the <c>source</c> column of <c>events</c>).</summary>
    public Dictionary<string, PlanViewSourceOptions> TrackingPlans { get; set; } = new(StringComparer.Ordinal);
}
