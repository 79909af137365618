namespace Tracking.Consumer.Loading;

/// <summary>The outcome of a load.</summary>
internal enum LoadOutcome
{
    /// <summary>Rows, dead letters and checkpoint are committed.</summary>
    Committed,

    /// <summary>Nothing is committed: the lease was taken by another worker.</summary>
    LeaseLost,
}
