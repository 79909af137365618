using Tracking.Api.Enrichment;

namespace Tracking.Api.Tests.Unit.Enrichment;

/// <summary>The cache every enrichment keeps its parsed results in: a hit costs no parse, a flood costs bounded memory.</summary>
public class BoundedCacheTests
{
    [Fact]
    public void AKeySeenBeforeIsAnsweredWithoutCreatingItAgain()
    {
        var cache = new BoundedCache<string>(10);
        var created = 0;

        var first = cache.GetOrAdd("Mozilla/5.0", key => $"{key}#{++created}");
        var second = cache.GetOrAdd("Mozilla/5.0", key => $"{key}#{++created}");

        Assert.Equal(1, created);
        Assert.Same(first, second);
        Assert.True(cache.TryGet("Mozilla/5.0".AsSpan(), out var read));
        Assert.Same(first, read);
    }

    [Fact]
    public void ALookupBySpanFindsOnlyTheSameCharacters()
    {
        var cache = new BoundedCache<int>(10);
        cache.GetOrAdd("203.0.113.7", _ => 7);

        Assert.True(cache.TryGet("x203.0.113.7x".AsSpan(1, 11), out var value));
        Assert.Equal(7, value);
        Assert.False(cache.TryGet("203.0.113.70".AsSpan(), out _));
        // Ordinal: user agents and addresses differing only in case are different keys.
        cache.GetOrAdd("Bot", _ => 1);
        Assert.False(cache.TryGet("bot".AsSpan(), out _));
    }

    [Fact]
    public void AFloodOfDistinctKeysNeverHoldsMoreThanTheCapacity()
    {
        const int capacity = 100;
        var cache = new BoundedCache<int>(capacity);

        for (var i = 0; i < 10_000; i++)
        {
            Assert.Equal(i, cache.GetOrAdd($"agent {i}", _ => i));
            Assert.InRange(cache.Count, 1, capacity);
        }

        // Started over when full: the newest key is kept, the oldest is gone.
        Assert.True(cache.TryGet("agent 9999".AsSpan(), out _));
        Assert.False(cache.TryGet("agent 0".AsSpan(), out _));
    }

    [Fact]
    public void ConcurrentReadersAndWritersAlwaysGetTheValueOfTheirOwnKey()
    {
        var cache = new BoundedCache<string>(64);

        Parallel.For(0, 50_000, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i =>
        {
            var key = $"k{i % 500}";
            Assert.Equal(key + "!", cache.GetOrAdd(key, k => k + "!"));
            if (cache.TryGet(key.AsSpan(), out var value))
            {
                Assert.Equal(key + "!", value);
            }
        });

        Assert.InRange(cache.Count, 1, 64);
    }
}
