using System.Text;
using Tracking.Api.Delivery;
using Tracking.Api.Delivery.Kinesis;
using Tracking.Aws.Kinesis.Aggregation;

namespace Tracking.Api.Tests.Unit;

public class KinesisAggregationPackingTests
{
    [Fact]
    public void EventsOfOneKeyShareAnAggregateInOrderAndALoneEventStaysAPlainRecord()
    {
        var queued = Records(("a", 1), ("b", 2), ("a", 3), ("a", 4));

        var (entries, taken) = PutEntry.Pack(queued, maxEntries: 500, maxBytes: 5 << 20, maxAggregateBytes: 24 * 1024);

        Assert.Equal(4, taken);
        Assert.Equal(["a", "b"], entries.Select(e => e.PartitionKey));
        Assert.True(AggregatedRecords.TryDecode(entries[0].Data, out var users, out var error), error);
        Assert.Equal(["1", "3", "4"], users.Select(u => Seq(u.Data)));
        Assert.Equal(entries[0].Size, entries[0].Data.Length + 1);
        Assert.False(AggregatedRecords.IsAggregated(entries[1].Data.Span));
        Assert.Equal(queued[1].Event.Json, entries[1].Data.ToArray());
    }

    [Fact]
    public void AFullAggregateIsFollowedByAnotherOfTheSameKeyKeepingItsOrder()
    {
        var queued = Records([.. Enumerable.Range(0, 30).Select(i => ("a", i))]);

        var (entries, taken) = PutEntry.Pack(queued, 500, 5 << 20, maxAggregateBytes: 1024);

        Assert.Equal(30, taken);
        Assert.True(entries.Count > 1);
        Assert.All(entries, e => Assert.InRange(e.Size, 1, 1024));
        var order = entries.SelectMany(e => AggregatedRecords.TryDecode(e.Data, out var users, out _) ? users.Select(u => Seq(u.Data)) : [Seq(e.Data)]);
        Assert.Equal(Enumerable.Range(0, 30).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)), order);
    }

    [Fact]
    public void PackingStopsAtTheFirstEventThatNeedsOneRecordTooManySoWhatIsTakenIsAPrefix()
    {
        var queued = Records(("a", 1), ("b", 2), ("c", 3), ("a", 4));

        var (entries, taken) = PutEntry.Pack(queued, maxEntries: 2, maxBytes: 5 << 20, maxAggregateBytes: 24 * 1024);

        Assert.Equal(2, taken);
        Assert.Equal(["a", "b"], entries.Select(e => e.PartitionKey));
    }

    [Fact]
    public void WithoutAggregationEachEventIsItsOwnRecord()
    {
        var (entries, taken) = PutEntry.Pack(Records(("a", 1), ("a", 2)), 500, 5 << 20, maxAggregateBytes: null);

        Assert.Equal(2, taken);
        Assert.Equal(2, entries.Count);
    }

    private static List<PendingRecord> Records(params (string Key, int Seq)[] events)
    {
        var batch = new PendingBatch(events.Length);
        return [.. events.Select(e => new PendingRecord(new EnrichedEvent(Encoding.UTF8.GetBytes($"{{\"seq\":\"{e.Seq}\",\"pad\":\"{new string('x', 80)}\"}}"), $"m{e.Seq}", e.Key), batch))];
    }

    private static string Seq(ReadOnlyMemory<byte> json) =>
        System.Text.Json.JsonDocument.Parse(json).RootElement.GetProperty("seq").GetString()!;
}
