namespace Tracking.Api.Delivery.Kinesis;

/// <summary>
/// "The shard list may be stale": raised by the put step when a record lands on an unexpected shard or the
/// stream is not found, awaited by the stream monitor, which then lists the shards again.
/// </summary>
internal sealed class ShardRefreshSignal
{
    private TaskCompletionSource _requested = New();

    /// <summary>Completes once a refresh has been requested since the last <see cref="Reset"/>.</summary>
    public Task Requested => Volatile.Read(ref _requested).Task;

    public void Request() => Volatile.Read(ref _requested).TrySetResult();

    /// <summary>Called by the monitor before it lists the shards, so requests made meanwhile count.</summary>
    public void Reset()
    {
        if (Volatile.Read(ref _requested).Task.IsCompleted)
        {
            Volatile.Write(ref _requested, New());
        }
    }

    private static TaskCompletionSource New() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
