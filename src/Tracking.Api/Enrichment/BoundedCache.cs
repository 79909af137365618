using System.Collections.Concurrent;

namespace Tracking.Api.Enrichment;

/// <summary>
/// Results keyed by their input (a user agent, an address), at most <c>capacity</c> of them: when full it starts
/// over rather than tracking recency, so a hit is one dictionary read and a flood of distinct keys costs at most
/// one parse each and bounded memory.
/// </summary>
internal sealed class BoundedCache<TValue>(int capacity)
{
    private ConcurrentDictionary<string, TValue> _entries = new(StringComparer.Ordinal);

    public int Count => _entries.Count;

    /// <summary>The value kept for <paramref name="key"/>, looked up without making a string of it.</summary>
    public bool TryGet(ReadOnlySpan<char> key, out TValue value) =>
        Volatile.Read(ref _entries).GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(key, out value!);

    public TValue GetOrAdd(string key, Func<string, TValue> create)
    {
        var entries = Volatile.Read(ref _entries);
        if (entries.TryGetValue(key, out var value))
        {
            return value;
        }

        value = create(key);
        if (entries.Count >= capacity)
        {
            // Swapped rather than cleared: readers holding the old one finish on it undisturbed.
            entries = new ConcurrentDictionary<string, TValue>(StringComparer.Ordinal);
            Volatile.Write(ref _entries, entries);
        }

        entries.TryAdd(key, value);
        return value;
    }
}
