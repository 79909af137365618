namespace Tracking.Api.Delivery.Kinesis;

/// <summary>A batch handed to the Kinesis sink; done when every one of its records is in the stream.</summary>
internal sealed class PendingBatch(int count)
{
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _remaining = count;

    public Task Completion => _done.Task;

    public void RecordWritten()
    {
        if (Interlocked.Decrement(ref _remaining) == 0)
        {
            _done.TrySetResult();
        }
    }

    public void Abandon(Exception reason) => _done.TrySetException(reason);
}
