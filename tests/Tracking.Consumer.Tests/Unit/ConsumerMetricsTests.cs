using System.Diagnostics.Metrics;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Tracking.Aws.Kinesis;
using Tracking.Consumer.Leases;
using Tracking.Consumer.Loading;
using Tracking.Consumer.Telemetry;
using Tracking.Consumer.Warehouse;

namespace Tracking.Consumer.Tests.Unit;

public sealed class ConsumerMetricsTests : IDisposable
{
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly MeterListener _listener = new();
    private readonly List<(string Name, double Value, string? Shard)> _measurements = [];

    public ConsumerMetricsTests()
    {
        var factory = _services.GetRequiredService<IMeterFactory>();
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == ConsumerMetrics.MeterName && instrument.Meter.Scope == factory)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((i, value, tags, _) => Record(i, value, tags));
        _listener.SetMeasurementEventCallback<int>((i, value, tags, _) => Record(i, value, tags));
        _listener.SetMeasurementEventCallback<double>((i, value, tags, _) => Record(i, value, tags));
        _listener.Start();
        Metrics = new ConsumerMetrics(factory);
    }

    private ConsumerMetrics Metrics { get; }

    [Fact]
    public void TheMeterReportsEveryInstrumentTheIssueNames()
    {
        var received = new DateTimeOffset(2026, 11, 30, 6, 0, 0, TimeSpan.Zero);
        var row = EventRecords.Parse("events", "shardId-000000000001", new KinesisRecord
        {
            SequenceNumber = "7",
            PartitionKey = "k",
            Data = Encoding.UTF8.GetBytes("""{"messageId":"m","receivedAt":"2026-11-30T06:00:00Z"}"""),
        }).Row!;
        var batch = new LoadBatch(new ShardFence("events", "shardId-000000000001", "w", 1), [row, row], [new DeadLetter("8", "bad", new byte[] { 1 })], "8", false);

        Metrics.Read("shardId-000000000001", 3, 1500);
        Metrics.Loaded(batch, inserted: 1, duplicates: 1, TimeSpan.FromMilliseconds(40), received.AddSeconds(2));
        Metrics.LeasesHeld(2);
        _listener.RecordObservableInstruments();

        Assert.Equal(3, Sum("consumer.records.read"));
        Assert.Equal(1, Sum("consumer.rows.loaded"));
        Assert.Equal(1, Sum("consumer.duplicates.dropped"));
        Assert.Equal(1, Sum("consumer.dead_letters"));
        Assert.Equal(0.04, Sum("consumer.load.duration"), 3);
        Assert.Equal([2.0, 2.0], _measurements.Where(m => m.Name == "consumer.lag").Select(m => m.Value));
        Assert.Contains(("consumer.shard.millis_behind_latest", 1500.0, "shardId-000000000001"), _measurements);
        Assert.Equal(2, Sum("consumer.leases.held"));
    }

    public void Dispose()
    {
        _listener.Dispose();
        _services.Dispose();
    }

    private double Sum(string name) => _measurements.Where(m => m.Name == name).Sum(m => m.Value);

    private void Record<T>(Instrument instrument, T value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        where T : struct
    {
        string? shard = null;
        foreach (var tag in tags)
        {
            if (tag.Key == "shard")
            {
                shard = tag.Value as string;
            }
        }

        _measurements.Add((instrument.Name, Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture), shard));
    }
}
