using System.Text;
using Tracking.Aws.Kinesis.Aggregation;
using Tracking.Testing.Emulators;

namespace Tracking.Aws.Tests.Integration;

/// <summary>Our KPL codec against AWS's own <c>aws-kinesis-agg</c> npm module, in both directions.</summary>
public class AggregationAgainstAwsKinesisAggTests
{
    [Fact]
    public async Task RecordsAggregatedByAwsKinesisAggDecodeToTheSameUserRecordsInOrder()
    {
        var random = new Random(7);
        var input = Enumerable.Range(0, 3_000).Select(i => new AggRecord(
            $"user-{i % 17}",
            i % 5 == 0 ? (i * 7919).ToString(System.Globalization.CultureInfo.InvariantCulture) : null,
            Payload(random, i))).ToList();

        var aggregated = await AwsKinesisAgg.AggregateAsync(input);

        Assert.True(aggregated.Count > 1, "the input is meant to fill more than one 1 MiB aggregate");
        var decoded = new List<UserRecord>();
        foreach (var record in aggregated)
        {
            Assert.True(AggregatedRecords.TryDecode(record.Data, out var users, out var error), error);
            decoded.AddRange(users);
        }

        Assert.Equal(input.Count, decoded.Count);
        for (var i = 0; i < input.Count; i++)
        {
            Assert.Equal(input[i].PartitionKey, decoded[i].PartitionKey);
            Assert.Equal(input[i].ExplicitHashKey, decoded[i].ExplicitHashKey);
            Assert.Equal(input[i].Data, decoded[i].Data.ToArray());
        }
    }

    [Fact]
    public async Task RecordsAggregatedByUsDecodeWithAwsKinesisAggToTheSameUserRecordsInOrder()
    {
        var random = new Random(11);
        var builder = new AggregatedRecordBuilder();
        var input = new List<UserRecord>();
        for (var i = 0; i < 500; i++)
        {
            var record = new UserRecord($"user-{i % 3}", null, Payload(random, i), []);
            input.Add(record);
            builder.Add(record);
        }

        var answers = await AwsKinesisAgg.DeaggregateAsync([("49590338271490256608559692538361571095921575989136588898", "user-0", builder.Build())]);

        var (records, error) = Assert.Single(answers);
        Assert.Null(error);
        Assert.Equal(input.Count, records!.Count);
        for (var i = 0; i < input.Count; i++)
        {
            Assert.Equal(input[i].PartitionKey, records[i].PartitionKey);
            Assert.Equal(i, records[i].SubSequenceNumber);
            Assert.Equal(input[i].Data.ToArray(), records[i].Data);
        }
    }

    [Fact]
    public async Task AwsKinesisAggAlsoRefusesWhatWeRefuseForItsMd5()
    {
        var builder = new AggregatedRecordBuilder();
        builder.Add("k", "{\"event\":\"x\"}"u8.ToArray());
        var data = builder.Build();
        data[^3] ^= 0x40;

        var answers = await AwsKinesisAgg.DeaggregateAsync([("1", "k", data)]);

        Assert.False(AggregatedRecords.TryDecode(data, out _, out _));
        Assert.Contains("checksum", Assert.Single(answers).Error, StringComparison.OrdinalIgnoreCase);
    }

    private static byte[] Payload(Random random, int i)
    {
        var padding = new string('x', random.Next(0, 900));
        return Encoding.UTF8.GetBytes($"{{\"messageId\":\"m-{i}\",\"event\":\"e\",\"properties\":{{\"p\":\"{padding}\",\"é\":\"ü\"}}}}");
    }
}
