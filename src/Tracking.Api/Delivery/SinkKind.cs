namespace Tracking.Api.Delivery;

/// <summary>The sinks <c>Tracking:Sink</c> can name.</summary>
public enum SinkKind
{
    /// <summary>Newline-delimited JSON files on local disk: the embedded default, no cloud account needed.</summary>
    File,
}
