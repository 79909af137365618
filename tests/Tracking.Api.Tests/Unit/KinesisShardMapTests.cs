using System.Globalization;
using Tracking.Api.Delivery.Kinesis;
using Tracking.Aws.Kinesis;

namespace Tracking.Api.Tests.Unit;

public class KinesisShardMapTests
{
    private static readonly UInt128 Half = UInt128.One << 127;

    [Theory]
    [InlineData("user-1", "285573413173782752570879317399258818820")]
    [InlineData("device-042", "125702295524745441496630236140946950416")]
    public void AKeysHashIsTheMd5OfItsUtf8BytesReadAsABigEndianNumber(string key, string expected)
    {
        Assert.Equal(UInt128.Parse(expected, CultureInfo.InvariantCulture), ShardMap.HashKey(key));
    }

    [Fact]
    public void KeysGoToTheOpenShardWhoseRangeHoldsTheirHashAndClosedShardsAreIgnored()
    {
        var map = ShardMap.FromOpenShards(
        [
            Shard("shardId-000000000000", UInt128.Zero, UInt128.MaxValue, closed: true),
            Shard("shardId-000000000002", Half, UInt128.MaxValue),
            Shard("shardId-000000000001", UInt128.Zero, Half - 1),
        ]);

        Assert.Equal(["shardId-000000000001", "shardId-000000000002"], map.ShardIds);
        Assert.Equal(1, map.IndexOf("user-1"));
        Assert.Equal(0, map.IndexOf("device-042"));
        Assert.Equal(0, map.IndexOf(UInt128.Zero));
        Assert.Equal(0, map.IndexOf(Half - 1));
        Assert.Equal(1, map.IndexOf(Half));
        Assert.Equal(1, map.IndexOf(UInt128.MaxValue));
    }

    [Fact]
    public void OpenShardsThatLeaveAGapInTheKeySpaceAreRefused()
    {
        Assert.Throws<InvalidOperationException>(() => ShardMap.FromOpenShards([Shard("a", UInt128.Zero, Half - 2), Shard("b", Half, UInt128.MaxValue)]));
        Assert.Throws<InvalidOperationException>(() => ShardMap.FromOpenShards([Shard("a", UInt128.Zero, Half - 1)]));
        Assert.Throws<InvalidOperationException>(() => ShardMap.FromOpenShards([Shard("a", UInt128.Zero, UInt128.MaxValue, closed: true)]));
    }

    [Fact]
    public void UntilTheShardsAreKnownEveryKeyIsInTheOneLaneOfTheUnknownMap()
    {
        Assert.Equal(1, ShardMap.Unknown.Count);
        Assert.Equal(0, ShardMap.Unknown.IndexOf("user-1"));
        Assert.Null(Assert.Single(ShardMap.Unknown.ShardIds));
    }

    [Fact]
    public void MapsWithTheSameShardsAreTheSame()
    {
        var shards = new[] { Shard("a", UInt128.Zero, Half - 1), Shard("b", Half, UInt128.MaxValue) };

        Assert.True(ShardMap.FromOpenShards(shards).SameShardsAs(ShardMap.FromOpenShards(shards.Reverse())));
        Assert.False(ShardMap.FromOpenShards(shards).SameShardsAs(ShardMap.Unknown));
    }

    internal static Shard Shard(string id, UInt128 start, UInt128 end, bool closed = false) => new()
    {
        ShardId = id,
        HashKeyRange = new HashKeyRange { StartingHashKey = start.ToString(CultureInfo.InvariantCulture), EndingHashKey = end.ToString(CultureInfo.InvariantCulture) },
        SequenceNumberRange = new SequenceNumberRange { StartingSequenceNumber = "1", EndingSequenceNumber = closed ? "2" : null },
    };

    /// <summary>Open shards splitting the key space into <paramref name="count"/> equal ranges, as CreateStream does.</summary>
    internal static List<Shard> EqualShards(int count)
    {
        var width = UInt128.MaxValue / (UInt128)count + 1;
        return [.. Enumerable.Range(0, count).Select(i => Shard(
            $"shardId-{i:000000000000}",
            width * (UInt128)i,
            i == count - 1 ? UInt128.MaxValue : width * (UInt128)(i + 1) - 1))];
    }
}
