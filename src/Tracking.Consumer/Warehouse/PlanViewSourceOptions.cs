namespace Tracking.Consumer.Warehouse;

/// <summary>One source's plan, for the consumer's per-event views.</summary>
public sealed class PlanViewSourceOptions
{
    /// <summary>
    /// The plan file: JSON, or YAML when its name ends in <c>.yaml</c>/<c>.yml</c>. A relative path is taken from the
    /// content root. Required. Read at start-up: the views follow a changed file on the next start.
    /// </summary>
    public string Path { get; set; } = "";
}
