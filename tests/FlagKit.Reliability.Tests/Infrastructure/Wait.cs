using System.Diagnostics;

namespace FlagKit.Reliability.Tests.Infrastructure;

/// <summary>Waits for a condition by polling with a deadline (never a fixed sleep).</summary>
internal static class Wait
{
    /// <summary>The default deadline: generous, for a loaded 2-core machine.</summary>
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    /// <summary>Polls <paramref name="condition"/> every 10 ms until it holds; fails the test after the deadline.</summary>
    public static async Task UntilAsync(Func<bool> condition, Func<string> what, TimeSpan? deadline = null)
    {
        long start = Stopwatch.GetTimestamp();
        TimeSpan limit = deadline ?? Deadline;
        while (!condition())
        {
            if (Stopwatch.GetElapsedTime(start) > limit)
            {
                Assert.Fail($"timed out after {limit} waiting until {what()}");
            }

            await Task.Delay(10);
        }
    }

    /// <summary>As <see cref="UntilAsync(Func{bool}, Func{string}, TimeSpan?)"/> with a fixed description.</summary>
    public static Task UntilAsync(Func<bool> condition, string what, TimeSpan? deadline = null) => UntilAsync(condition, () => what, deadline);

    /// <summary>Awaits <paramref name="task"/>, failing the test after the deadline.</summary>
    public static async Task<T> WithDeadline<T>(this Task<T> task, string what, TimeSpan? deadline = null)
    {
        try
        {
            return await task.WaitAsync(deadline ?? Deadline);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"timed out after {deadline ?? Deadline} waiting for {what}");
            throw;
        }
    }

    /// <summary>Awaits <paramref name="task"/>, failing the test after the deadline.</summary>
    public static async Task WithDeadline(this Task task, string what, TimeSpan? deadline = null)
    {
        try
        {
            await task.WaitAsync(deadline ?? Deadline);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"timed out after {deadline ?? Deadline} waiting for {what}");
        }
    }
}
