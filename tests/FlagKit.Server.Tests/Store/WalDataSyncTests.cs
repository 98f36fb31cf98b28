using FlagKit.Server.Store;

namespace FlagKit.Server.Tests.Store;

public class WalDataSyncTests
{
    [Test]
    public void Sync_MissingFile_ThrowsNamingThePath()
    {
        var path = Path.Combine(Path.GetTempPath(), $"flagkit-missing-{Guid.NewGuid():N}.db-wal");

        var e = Assert.Throws<FileNotFoundException>(() => WalDataSync.Sync(path));

        Assert.That(e!.Message, Does.Contain(path));
    }

    [Test]
    public void Sync_FileWrittenByAnotherHandle_SucceedsAndLeavesItsBytes()
    {
        Assume.That(WalDataSync.IsSupported, Is.True, "fdatasync is a Linux call");
        var path = Path.Combine(Path.GetTempPath(), $"flagkit-wal-{Guid.NewGuid():N}.db-wal");
        try
        {
            using (var writer = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.ReadWrite))
            {
                writer.Write("committed"u8);
                writer.Flush(flushToDisk: false);
                WalDataSync.Sync(path);
            }

            Assert.That(File.ReadAllText(path), Is.EqualTo("committed"));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
