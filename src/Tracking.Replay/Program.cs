using Tracking.Replay;

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    // The first Ctrl-C stops after the request in flight and prints the summary so far; a second one kills.
    e.Cancel = !stop.IsCancellationRequested;
    stop.Cancel();
};

return await ReplayCommand.RunAsync(args, Console.Out, Console.Error, TimeProvider.System, stop.Token);
