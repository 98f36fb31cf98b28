using System.Text;
using FlagKit.Sources;

namespace FlagKit.Tests.Sources;

public sealed class FileFlagSourceTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    private string _directory = null!;
    private string _path = null!;

    [SetUp]
    public void CreateDirectory()
    {
        _directory = Directory.CreateTempSubdirectory("flagkit-file-source-").FullName;
        _path = Path.Combine(_directory, "flags.json");
    }

    [TearDown]
    public void DeleteDirectory() => Directory.Delete(_directory, recursive: true);

    [Test]
    public async Task StartAsync_ValidFile_LoadsItAsRevision1()
    {
        Write(Flags(bonus: true));
        await using var client = new FlagClient(new FileFlagSource(_path, Options()));

        await client.StartAsync();

        Assert.That(client.Status, Is.EqualTo(FlagClientStatus.Ready));
        Assert.That(client.Snapshot.Revision, Is.EqualTo(1));
        Assert.That(client.IsEnabled("new-bonus-engine"), Is.True);
    }

    [Test]
    public async Task FileEdited_ValidChange_FlipsTheFlagLive()
    {
        Write(Flags(bonus: true));
        var source = new FileFlagSource(_path, Options());
        await using var client = new FlagClient(source);
        await client.StartAsync();
        var loaded = NextEvent(source, loaded: true);

        Write(Flags(bonus: false), inPlace: true);
        var args = await loaded.WaitAsync(Deadline);

        Assert.That(args.Snapshot!.Revision, Is.EqualTo(2));
        Assert.That(client.IsEnabled("new-bonus-engine", defaultValue: true), Is.False);
    }

    [Test]
    public async Task FileEdited_BadChange_ReportedAndLastGoodSnapshotKeepsServing()
    {
        Write(Flags(bonus: true));
        var source = new FileFlagSource(_path, Options());
        await using var client = new FlagClient(source);
        await client.StartAsync();
        var refused = NextEvent(source, loaded: false);
        var statuses = new List<FlagClientStatusChangedEventArgs>();
        client.StatusChanged += (_, e) => statuses.Add(e);

        Write(Flags(bonus: true).Replace("\"variant\": \"on\"", "\"variant\": \"maybe\"", StringComparison.Ordinal));
        var args = await refused.WaitAsync(Deadline);

        var error = (FlagValidationException)args.Error!;
        Assert.That(error.Errors.Single().ToString(), Does.StartWith("flag 'new-bonus-engine' at $.flags[0].defaultRule.variant: unknown variant 'maybe'"));
        Assert.That(client.Status, Is.EqualTo(FlagClientStatus.Stale));
        Assert.That(() => statuses.LastOrDefault()?.Detail, Does.Contain("unknown variant 'maybe'").After(5000, 10), "raised on the client's own task");
        Assert.That(client.Snapshot.Revision, Is.EqualTo(1));
        Assert.That(client.IsEnabled("new-bonus-engine"), Is.True);

        var loaded = NextEvent(source, loaded: true);
        Write(Flags(bonus: false));
        await loaded.WaitAsync(Deadline);

        Assert.That(client.Status, Is.EqualTo(FlagClientStatus.Ready));
        Assert.That(client.Snapshot.Revision, Is.EqualTo(2));
        Assert.That(client.IsEnabled("new-bonus-engine", defaultValue: true), Is.False);
    }

    [Test]
    public async Task FileEdited_SameBadContentSeenAgain_ReportedOnce_ThenFixedAndBrokenAgain_ReportedAgain()
    {
        Write(Flags(bonus: true));
        var source = new FileFlagSource(_path, Options());
        await using var client = new FlagClient(source);
        await client.StartAsync();
        var refusals = 0;
        source.FileRefused += (_, _) => Interlocked.Increment(ref refusals);
        var bad = Flags(bonus: true).Replace("\"variant\": \"on\"", "\"variant\": \"maybe\"", StringComparison.Ordinal);
        var firstRefusal = NextEvent(source, loaded: false);

        Write(bad);
        await firstRefusal.WaitAsync(Deadline);

        // The same bytes written again and again (the watcher fires each time, the poll sees a new time stamp).
        for (var i = 0; i < 3; i++)
        {
            Write(bad, inPlace: true);
            await Task.Delay(Options().PollInterval!.Value * 2);
        }

        Assert.That(Volatile.Read(ref refusals), Is.EqualTo(1), "one bad edit, one report");
        Assert.That(client.Status, Is.EqualTo(FlagClientStatus.Stale));

        var loaded = NextEvent(source, loaded: true);
        Write(Flags(bonus: false));
        await loaded.WaitAsync(Deadline);
        var secondRefusal = NextEvent(source, loaded: false);
        Write(bad);
        await secondRefusal.WaitAsync(Deadline);

        Assert.That(Volatile.Read(ref refusals), Is.EqualTo(2), "the same bad content after a good one is a new edit, reported again");
        Assert.That(client.IsEnabled("new-bonus-engine", defaultValue: true), Is.False, "the last good file keeps serving");
    }

    [Test]
    public async Task FileEdited_MalformedJson_RefusedWithLine()
    {
        Write(Flags(bonus: true));
        var source = new FileFlagSource(_path, Options());
        await using var client = new FlagClient(source);
        await client.StartAsync();
        var refused = NextEvent(source, loaded: false);

        Write("{ \"schema\": 1,\n  \"flags\": [ { \"key\": ");
        var args = await refused.WaitAsync(Deadline);

        Assert.That(((FlagValidationException)args.Error!).Errors.Single().Message, Does.StartWith("invalid JSON (line 2"));
        Assert.That(client.IsEnabled("new-bonus-engine"), Is.True);
    }

    [Test]
    public async Task FileReplacedByRename_Reloads()
    {
        Write(Flags(bonus: true));
        var source = new FileFlagSource(_path, Options());
        await using var client = new FlagClient(source);
        await client.StartAsync();
        var loaded = NextEvent(source, loaded: true);

        var temporary = Path.Combine(_directory, "flags.json.tmp");
        File.WriteAllText(temporary, Flags(bonus: false), Encoding.UTF8);
        File.Move(temporary, _path, overwrite: true);
        await loaded.WaitAsync(Deadline);

        Assert.That(client.IsEnabled("new-bonus-engine", defaultValue: true), Is.False);
    }

    [Test]
    public async Task StartAsync_MissingFile_FailedUntilTheFileAppears()
    {
        var source = new FileFlagSource(_path, Options());
        await using var client = new FlagClient(source);
        await client.StartAsync();

        Assert.That(client.Status, Is.EqualTo(FlagClientStatus.Failed));
        Assert.That(client.IsEnabled("new-bonus-engine", defaultValue: true), Is.True);

        Write(Flags(bonus: false));
        await client.WaitUntilReadyAsync().WaitAsync(Deadline);

        Assert.That(client.IsEnabled("new-bonus-engine", defaultValue: true), Is.False);
    }

    [Test]
    public async Task StartAsync_ReloadOff_LoadsOnce()
    {
        Write(Flags(bonus: true));
        var options = Options();
        options.ReloadOnChange = false;
        await using var client = new FlagClient(new FileFlagSource(_path, options));

        await client.StartAsync();

        Assert.That(client.IsEnabled("new-bonus-engine"), Is.True);
    }

    private static FileFlagSourceOptions Options() => new()
    {
        DebounceDelay = TimeSpan.FromMilliseconds(20),
        PollInterval = TimeSpan.FromMilliseconds(250),
    };

    private static Task<FlagFileEventArgs> NextEvent(FileFlagSource source, bool loaded)
    {
        var next = new TaskCompletionSource<FlagFileEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (loaded)
        {
            source.FileLoaded += (_, e) => next.TrySetResult(e);
        }
        else
        {
            source.FileRefused += (_, e) => next.TrySetResult(e);
        }

        return next.Task;
    }

    private static string Flags(bool bonus) => TestDocuments.FileJson(TestDocuments.BoolFlag("new-bonus-engine", defaultVariant: bonus ? "on" : "off"));

    // Replaces the file whole (write aside, then rename), as deploy tools do, so that a reload never reads half a
    // write; FileEdited_ValidChange_FlipsTheFlagLive writes in place, as an editor does.
    private void Write(string text, bool inPlace = false)
    {
        if (inPlace)
        {
            File.WriteAllText(_path, text, Encoding.UTF8);
            return;
        }

        var temporary = _path + ".tmp";
        File.WriteAllText(temporary, text, Encoding.UTF8);
        File.Move(temporary, _path, overwrite: true);
    }
}
