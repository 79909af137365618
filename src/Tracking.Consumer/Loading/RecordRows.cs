using Tracking.Consumer.Warehouse;

namespace Tracking.Consumer.Loading;

/// <summary>What one stream record gives (<see cref="ShardBuffer.Read"/>): its rows and dead letters, one of either
/// for a plain record, one per user record for a KPL aggregate, and its size on the stream.</summary>
internal sealed record RecordRows(string SequenceNumber, IReadOnlyList<EventRow> Rows, IReadOnlyList<DeadLetter> DeadLetters, int Bytes)
{
    /// <summary>Rows and dead letters together: what a batch's row count counts.</summary>
    public int Count => Rows.Count + DeadLetters.Count;
}
