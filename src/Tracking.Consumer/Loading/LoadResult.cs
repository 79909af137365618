namespace Tracking.Consumer.Loading;

/// <summary>The outcome and, when committed, how many rows were new.</summary>
internal sealed record LoadResult(LoadOutcome Outcome, int RowsInserted, int DuplicatesDropped);
