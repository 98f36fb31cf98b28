namespace FlagKit.Server.Tests.Sync;

/// <summary>Waits for a condition by polling with a deadline (never a fixed sleep).</summary>
internal static class SyncWait
{
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    public static async Task UntilAsync(Func<bool> condition, string what, TimeSpan? deadline = null)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        TimeSpan limit = deadline ?? Deadline;
        while (!condition())
        {
            if (clock.Elapsed > limit)
            {
                Assert.Fail($"timed out after {limit} waiting until {what}");
            }

            await Task.Delay(10);
        }
    }

    public static async Task<T> WithDeadline<T>(this Task<T> task, string what)
    {
        try
        {
            return await task.WaitAsync(Deadline);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"timed out after {Deadline} waiting for {what}");
            throw;
        }
    }

    public static async ValueTask<T> WithDeadline<T>(this ValueTask<T> task, string what) => await task.AsTask().WithDeadline(what);
}
