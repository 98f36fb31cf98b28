using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace FlagKit.Server.Store;

/// <summary>
/// Makes a SQLite WAL file durable with <c>fdatasync</c> (Linux). SQLite's own sync is <c>fsync</c>, which on ext4
/// also commits the file's new modification time through the file system's journal, so every commit waited for
/// that journal and for every other file's data the journal must write first (a build next door, a checkpoint).
/// <c>fdatasync</c> of a WAL that is overwritten in place (SQLite reuses it after a checkpoint) writes only the data.
/// </summary>
/// <remarks>Thread safety: stateless; safe to call concurrently.</remarks>
internal static class WalDataSync
{
    /// <summary>Whether this platform has <c>fdatasync</c> (elsewhere the store keeps SQLite's own sync).</summary>
    public static bool IsSupported => OperatingSystem.IsLinux();

    /// <summary>
    /// Flushes the WAL file's data (and its size, when it grew) to the device. Opens the file afresh each time, so a
    /// WAL that SQLite deleted and created again is the one synced.
    /// </summary>
    /// <param name="walPath">The <c>-wal</c> file.</param>
    /// <exception cref="IOException">The file cannot be opened or synced.</exception>
    public static void Sync(string walPath)
    {
        using SafeFileHandle handle = File.OpenHandle(walPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        if (FDataSync((int)handle.DangerousGetHandle()) != 0)
        {
            throw new IOException($"fdatasync of '{walPath}' failed (errno {Marshal.GetLastPInvokeError()}).");
        }
    }

    // DllImport, not LibraryImport: the latter needs unsafe code in the whole project for one blittable call.
#pragma warning disable SYSLIB1054
    [DllImport("libc", EntryPoint = "fdatasync", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int FDataSync(int fd);
#pragma warning restore SYSLIB1054
}
