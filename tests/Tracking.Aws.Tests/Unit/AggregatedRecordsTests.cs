using System.Security.Cryptography;
using System.Text;
using Tracking.Aws.Kinesis.Aggregation;

#pragma warning disable CA5351 // The KPL format's checksum is MD5; the tests build trailers as a producer does.

namespace Tracking.Aws.Tests.Unit;

public class AggregatedRecordsTests
{
    [Fact]
    public void UserRecordsComeBackInOrderWithTheirKeysDataAndTags()
    {
        var builder = new AggregatedRecordBuilder();
        UserRecord[] records =
        [
            new("user-1", null, "first"u8.ToArray(), []),
            new("user-2", "170141183460469231731687303715884105728", "second"u8.ToArray(), [new("origin", "ios"), new("bare", null)]),
            new("user-1", null, Array.Empty<byte>(), []),
            new("ключ", null, new byte[300], []),
        ];
        foreach (var record in records)
        {
            var expected = builder.SizeWith(record);
            builder.Add(record);
            Assert.Equal(expected, builder.Size);
        }

        var data = builder.Build();

        Assert.Equal(builder.Size, data.Length);
        Assert.True(AggregatedRecords.IsAggregated(data));
        Assert.True(AggregatedRecords.TryDecode(data, out var decoded, out var error), error);
        Assert.Equal(records.Length, decoded.Count);
        for (var i = 0; i < records.Length; i++)
        {
            Assert.Equal(records[i].PartitionKey, decoded[i].PartitionKey);
            Assert.Equal(records[i].ExplicitHashKey, decoded[i].ExplicitHashKey);
            Assert.Equal(records[i].Data.ToArray(), decoded[i].Data.ToArray());
            Assert.Equal(records[i].Tags, decoded[i].Tags);
        }
    }

    [Fact]
    public void EachPartitionKeyIsWrittenOnceInTheTable()
    {
        var builder = new AggregatedRecordBuilder();
        builder.Add("a-rather-long-partition-key", "x"u8.ToArray());
        var one = builder.Size;
        builder.Add("a-rather-long-partition-key", "x"u8.ToArray());

        // The second record costs its own entry only: tag, length, index field, data field.
        Assert.Equal(one + 2 + 2 + 3, builder.Size);
    }

    [Theory]
    [InlineData(new byte[0])]
    [InlineData(new byte[] { 0xF3, 0x89, 0x9A })]
    [InlineData(new byte[] { 0x7B, 0x7D })]
    public void DataWithoutTheMagicOrTooShortIsAPlainRecord(byte[] data)
    {
        Assert.False(AggregatedRecords.IsAggregated(data));
    }

    [Fact]
    public void TheMagicAndATrailerWithNothingBetweenIsAPlainRecordAsTheKclReadsIt()
    {
        var data = AggregatedRecords.Magic.ToArray().Concat(MD5.HashData([])).ToArray();

        Assert.False(AggregatedRecords.IsAggregated(data));
    }

    [Fact]
    public void AWrongMd5TrailerFailsWithItsReason()
    {
        var data = Aggregate(("k", "{}"));
        data[^1] ^= 0xFF;

        Assert.False(AggregatedRecords.TryDecode(data, out _, out var error));
        Assert.Contains("MD5", error, StringComparison.Ordinal);
    }

    [Fact]
    public void AChangedByteInTheProtobufFailsTheMd5Check()
    {
        var data = Aggregate(("k", "{\"a\":1}"));
        data[10] ^= 0x01;

        Assert.False(AggregatedRecords.TryDecode(data, out _, out var error));
        Assert.Contains("MD5", error, StringComparison.Ordinal);
    }

    [Fact]
    public void ATruncatedProtobufFailsOrKeepsOnlyTheWholeUserRecordsBeforeTheCut()
    {
        var whole = Aggregate(("k", "{\"event\":\"one\"}"), ("k", "{\"event\":\"two\"}"));
        var body = whole.AsSpan(4, whole.Length - 20).ToArray();
        var failures = 0;
        for (var length = 1; length < body.Length; length++)
        {
            // Trailed with the MD5 of what is left, so the protobuf itself is what breaks.
            if (AggregatedRecords.TryDecode(WithTrailer(body[..length]), out var records, out _))
            {
                Assert.Single(records);
            }
            else
            {
                failures++;
            }
        }

        Assert.Equal(body.Length - 2, failures);
    }

    [Fact]
    public void ATruncatedRecordFailsItsMd5Check()
    {
        var whole = Aggregate(("k", "{\"event\":\"one\"}"));

        Assert.False(AggregatedRecords.TryDecode(whole.AsMemory(0, whole.Length - 1), out _, out var error));
        Assert.Contains("MD5", error, StringComparison.Ordinal);
    }

    [Fact]
    public void AFieldRunningPastTheEndFailsNamingIt()
    {
        // records (3), length 50, but only 2 bytes follow.
        var data = WithTrailer([0x1A, 50, 0x08, 0x00]);

        Assert.False(AggregatedRecords.TryDecode(data, out _, out var error));
        Assert.Contains("runs past the end", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new byte[] { 0x0A, 0x01, (byte)'k', 0x1A, 0x0B, 0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF }, "varint")]
    [InlineData(new byte[] { 0x0A, 0x01, (byte)'k', 0x1A, 0x0D, 0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02, 0x1A, 0x00 }, "longer than 64 bits")]
    [InlineData(new byte[] { 0x0A, 0x01, (byte)'k', 0x1A, 0x02, 0x08, 0x80 }, "varint")]
    public void ABadVarintFails(byte[] body, string reason)
    {
        Assert.False(AggregatedRecords.TryDecode(WithTrailer(body), out _, out var error));
        Assert.True(error.Contains(reason, StringComparison.Ordinal), error + " " + Convert.ToHexString(body));
    }

    [Fact]
    public void APartitionKeyIndexOutsideTheTableFails()
    {
        // Table of one key; the record points at index 1.
        var data = WithTrailer([0x0A, 0x01, (byte)'k', 0x1A, 0x04, 0x08, 0x01, 0x1A, 0x00]);

        Assert.False(AggregatedRecords.TryDecode(data, out _, out var error));
        Assert.Contains("partition_key_index 1", error, StringComparison.Ordinal);
    }

    [Fact]
    public void AUserRecordWithoutDataFails()
    {
        var data = WithTrailer([0x0A, 0x01, (byte)'k', 0x1A, 0x02, 0x08, 0x00]);

        Assert.False(AggregatedRecords.TryDecode(data, out _, out var error));
        Assert.Contains("no data", error, StringComparison.Ordinal);
    }

    [Fact]
    public void APartitionKeyThatIsNotUtf8Fails()
    {
        var data = WithTrailer([0x0A, 0x01, 0xFF, 0x1A, 0x04, 0x08, 0x00, 0x1A, 0x00]);

        Assert.False(AggregatedRecords.TryDecode(data, out _, out var error));
        Assert.Contains("not UTF-8", error, StringComparison.Ordinal);
    }

    [Fact]
    public void AnAggregateWithoutUserRecordsFails()
    {
        var data = WithTrailer([0x0A, 0x01, (byte)'k']);

        Assert.False(AggregatedRecords.TryDecode(data, out _, out var error));
        Assert.Contains("no user records", error, StringComparison.Ordinal);
    }

    [Fact]
    public void FieldsOfANewerProducerAreSkipped()
    {
        // Field 9 of each wire type before the table, then a record with an unknown field 7.
        byte[] body =
        [
            0x48, 0x05, 0x49, 1, 2, 3, 4, 5, 6, 7, 8, 0x4A, 0x01, 0x00, 0x4D, 1, 2, 3, 4,
            0x0A, 0x01, (byte)'k', 0x1A, 0x07, 0x08, 0x00, 0x38, 0x01, 0x1A, 0x01, (byte)'x',
        ];

        Assert.True(AggregatedRecords.TryDecode(WithTrailer(body), out var records, out var error), error);
        Assert.Equal("x"u8.ToArray(), records.Single().Data.ToArray());
    }

    [Fact]
    public void RandomBytesAfterTheMagicNeverThrow()
    {
        var random = new Random(20261207);
        var valid = Aggregate(("user-1", "{\"event\":\"a\"}"), ("user-2", "{\"event\":\"b\"}"));
        for (var i = 0; i < 20_000; i++)
        {
            byte[] body;
            if (i % 2 == 0)
            {
                body = new byte[random.Next(0, 64)];
                random.NextBytes(body);
            }
            else
            {
                // A real protobuf with a few bytes changed: much nearer to valid, so deeper paths are tried.
                body = valid.AsSpan(4, valid.Length - 20).ToArray();
                for (var flips = random.Next(1, 4); flips > 0; flips--)
                {
                    body[random.Next(body.Length)] = (byte)random.Next(256);
                }
            }

            var data = WithTrailer(body);
            var decoded = AggregatedRecords.TryDecode(data, out var records, out var error);
            Assert.True(decoded ? records is { Count: > 0 } && error is null : records is null && error is not null);
        }
    }

    private static byte[] Aggregate(params (string Key, string Json)[] records)
    {
        var builder = new AggregatedRecordBuilder();
        foreach (var (key, json) in records)
        {
            builder.Add(key, Encoding.UTF8.GetBytes(json));
        }

        return builder.Build();
    }

    private static byte[] WithTrailer(byte[] body) => [.. AggregatedRecords.Magic, .. body, .. MD5.HashData(body)];
}
