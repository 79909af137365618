namespace Tracking.Consumer.Regulations;

/// <summary>Runs and lists deletions for one dialect.</summary>
internal interface IRegulations
{
    /// <summary>
    /// Deletes the subject's events and dead letters and records it in <c>regulations</c>, in one transaction; a
    /// failure deletes nothing and is recorded as <c>failed</c>. Safe to repeat: a second run finds nothing left.
    /// </summary>
    Task<RegulationResult> DeleteAsync(RegulationRequest request, CancellationToken cancellationToken);

    Task<RegulationList> ListAsync(CancellationToken cancellationToken);
}
