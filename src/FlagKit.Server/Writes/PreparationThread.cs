using System.Runtime.InteropServices;

namespace FlagKit.Server.Writes;

/// <summary>
/// Lowers the scheduling priority of the thread that prepares a long write (Linux: nice +10 for that thread only),
/// so a kill's short request gets the CPU first when both are runnable. Elsewhere, or when refused, nothing changes.
/// </summary>
/// <remarks>
/// The priority cannot be raised again (an unprivileged process may not lower its nice value), so nothing that holds a
/// gate or the store's writer lock may run on such a thread: a kill would wait for a thread the OS starves.
/// <see cref="IsCurrent"/> lets code and tests check that.
/// </remarks>
internal static class PreparationThread
{
    private const int PrioProcess = 0;
    private const int Nice = 10;
    private const long SysGettid = 186; // x86-64

    [ThreadStatic]
    private static bool t_isPreparationThread;

    /// <summary>Whether the calling thread was made a preparation thread (lowered where the OS allows).</summary>
    public static bool IsCurrent => t_isPreparationThread;

    /// <summary>Lowers the calling thread's priority (best effort; a no-op where unsupported) and marks it as a preparation thread.</summary>
    public static void Lower()
    {
        t_isPreparationThread = true;
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64)
        {
            return;
        }

        try
        {
            var tid = (int)Syscall(SysGettid);
            _ = SetPriority(PrioProcess, tid, Nice);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // Not glibc: leave the priority as it is.
        }
    }

    // DllImport, not LibraryImport: the latter needs unsafe code in the whole project for two blittable calls.
#pragma warning disable SYSLIB1054
    [DllImport("libc", EntryPoint = "syscall")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern long Syscall(long number);

    [DllImport("libc", EntryPoint = "setpriority")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int SetPriority(int which, int who, int priority);
#pragma warning restore SYSLIB1054
}
