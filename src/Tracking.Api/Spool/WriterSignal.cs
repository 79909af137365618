using System.Threading.Channels;

namespace Tracking.Api.Spool;

/// <summary>
/// How the writer wakes the reader: "something was committed" (at most one signal waits, so a busy writer costs the
/// reader one wake-up however many groups it commits meanwhile) and "nothing more will be".
/// </summary>
internal sealed class WriterSignal
{
    private readonly Channel<bool> _written = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private volatile bool _done;

    /// <summary>The spool is closed and its writer has answered every request it took.</summary>
    public bool Done => _done;

    public void Written() => _written.Writer.TryWrite(true);

    public void WriterDone()
    {
        _done = true;
        _written.Writer.TryWrite(true);
    }

    /// <summary>Waits for the next signal, or returns at once when one is waiting.</summary>
    public async ValueTask WaitAsync(CancellationToken cancellationToken)
    {
        await _written.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false);
        _written.Reader.TryRead(out _);
    }
}
