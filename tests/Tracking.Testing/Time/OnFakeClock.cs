namespace Tracking.Testing.Time;

/// <summary>Runs a task on a <see cref="FakeClock"/>, moving the clock to the next timer whenever the task waits on one, until the task ends.</summary>
public static class OnFakeClock
{
    /// <summary>Runs <paramref name="run"/> and returns its result; fails after 30 s of real time.</summary>
    public static async Task<T> RunAsync<T>(FakeClock time, Func<Task<T>> run)
    {
        ArgumentNullException.ThrowIfNull(time);
        var task = Task.Run(run);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!task.IsCompleted)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("the task did not end within 30 s of real time");
            }

            // Time moves only while the task sleeps on the clock: work, however slow, takes none of it.
            if (!time.AdvanceToNextTimer())
            {
                await Task.Delay(1);
            }
        }

        return await task;
    }
}
