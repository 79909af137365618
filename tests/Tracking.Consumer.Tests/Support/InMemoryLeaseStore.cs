using Tracking.Consumer.Leases;
using Tracking.Consumer.Loading;

namespace Tracking.Consumer.Tests.Support;

/// <summary>A lease table in memory with the stores' conditional rules, counting renewals so tests can wait on them.</summary>
internal sealed class InMemoryLeaseStore : ILeaseStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Lease> _leases = new(StringComparer.Ordinal);
    private int _renewals;
    private StreamIdentity? _identity;

    /// <summary>Renewals that succeeded.</summary>
    public int Renewals => Volatile.Read(ref _renewals);

    public Lease? this[string shardId]
    {
        get
        {
            lock (_gate)
            {
                return _leases.GetValueOrDefault(shardId);
            }
        }
    }

    public Task<IReadOnlyList<Lease>> ListAsync(string stream, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult<IReadOnlyList<Lease>>(_leases.Values.OrderBy(l => l.ShardId, StringComparer.Ordinal).ToList());
        }
    }

    public Task AddShardsAsync(string stream, IReadOnlyList<NewShard> shards, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            foreach (var shard in shards)
            {
                _leases.TryAdd(shard.ShardId, new Lease(shard.ShardId, shard.ParentShardIds, shard.StartPosition, null, 0, null, null, false, shard.StartTimestamp));
            }
        }

        return Task.CompletedTask;
    }

    public Task<ShardFence?> TryTakeAsync(string stream, string shardId, long observedCounter, string owner, DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (!_leases.TryGetValue(shardId, out var lease) || lease.Counter != observedCounter || lease.Finished)
            {
                return Task.FromResult<ShardFence?>(null);
            }

            _leases[shardId] = lease with { Owner = owner, Counter = lease.Counter + 1, ExpiresAt = expiresAt };
            return Task.FromResult<ShardFence?>(new ShardFence(stream, shardId, owner, lease.Counter + 1));
        }
    }

    public Task<bool> RenewAsync(ShardFence fence, DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (!_leases.TryGetValue(fence.ShardId, out var lease) || lease.Owner != fence.Owner || lease.Counter != fence.Counter)
            {
                return Task.FromResult(false);
            }

            _leases[fence.ShardId] = lease with { ExpiresAt = expiresAt };
            _renewals++;
            return Task.FromResult(true);
        }
    }

    public Task ReleaseAsync(ShardFence fence, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_leases.TryGetValue(fence.ShardId, out var lease) && lease.Owner == fence.Owner && lease.Counter == fence.Counter)
            {
                _leases[fence.ShardId] = lease with { Owner = null, ExpiresAt = null, Counter = lease.Counter + 1 };
            }
        }

        return Task.CompletedTask;
    }

    public Task<StreamIdentity?> AdoptStreamAsync(string stream, StreamIdentity current, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var recorded = _identity;
            _identity = current;
            if (recorded is null || recorded.IsSameStream(current))
            {
                return Task.FromResult<StreamIdentity?>(null);
            }

            _leases.Clear();
            return Task.FromResult<StreamIdentity?>(recorded);
        }
    }
}
