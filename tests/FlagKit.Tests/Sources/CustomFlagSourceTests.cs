using System.Text.Json;
using FlagKit.Documents;
using FlagKit.Sources;

namespace FlagKit.Tests.Sources;

/// <summary>
/// A flag source of one's own, written as a user would: only FlagKit's public API (<see cref="FlagSource"/>,
/// <see cref="FlagSnapshotSink"/>, <see cref="FlagFile"/>).
/// </summary>
public sealed class CustomFlagSourceTests
{
    [Test]
    public async Task CustomSource_PublishesAFile_TheClientServesIt()
    {
        var source = new PushedFlagSource(File("checkout-v2", on: true));
        await using var client = new FlagClient(source);

        await client.StartAsync();

        Assert.That(client.Status, Is.EqualTo(FlagClientStatus.Ready));
        Assert.That(client.StatusDetail, Is.EqualTo("pushed flags"));
        Assert.That(client.IsEnabled("checkout-v2"), Is.True);
        Assert.That(client.Snapshot.Revision, Is.EqualTo(1));
    }

    [Test]
    public async Task CustomSource_PublishesAChange_NextRevisionAndFlagsChangedRaised()
    {
        var source = new PushedFlagSource(File("checkout-v2", on: true));
        await using var client = new FlagClient(source);
        await client.StartAsync();
        var changed = new TaskCompletionSource<FlagsChangedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.FlagsChanged += (_, e) => changed.TrySetResult(e);

        source.Push(File("checkout-v2", on: false));
        var args = await changed.Task.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.That(client.IsEnabled("checkout-v2", defaultValue: true), Is.False);
        Assert.That(client.Snapshot.Revision, Is.EqualTo(2));
        Assert.That(args.Keys, Is.EquivalentTo(new[] { "checkout-v2" }));
    }

    [Test]
    public async Task CustomSource_PublishesAnInvalidFile_RefusedWithThePathAndTheLastGoodServesOn()
    {
        var source = new PushedFlagSource(File("checkout-v2", on: true));
        await using var client = new FlagClient(source);
        await client.StartAsync();
        var bad = File("checkout-v2", on: true);
        bad.Flags[0].DefaultRule.Variant = "missing";

        var error = Assert.Throws<FlagValidationException>(() => source.Push(bad));

        Assert.That(error!.Errors.Select(e => e.ToString()), Has.Some.Contains("flags[0]").And.Some.Contains("missing"));
        Assert.That(client.IsEnabled("checkout-v2"), Is.True);
        Assert.That(client.Snapshot.Revision, Is.EqualTo(1));
        Assert.That(client.Status, Is.EqualTo(FlagClientStatus.Stale), "the source reported the refusal");
        Assert.That(client.StatusDetail, Does.Contain("refused"));
    }

    [Test]
    public async Task CustomSource_RevisionNotAfterTheCurrentOne_IsRefused()
    {
        var source = new PushedFlagSource(File("checkout-v2", on: true));
        await using var client = new FlagClient(source);
        await client.StartAsync();

        Assert.That(() => source.Sink!.Publish(File("checkout-v2", on: false), revision: 1), Throws.InstanceOf<ArgumentOutOfRangeException>());
        Assert.That(client.IsEnabled("checkout-v2"), Is.True);
    }

    [Test]
    public async Task CustomSource_EditsOfThePublishedFile_DoNotReachTheClient()
    {
        var file = File("checkout-v2", on: true);
        var source = new PushedFlagSource(file);
        await using var client = new FlagClient(source);
        await client.StartAsync();

        file.Flags[0].On = false;

        Assert.That(client.IsEnabled("checkout-v2"), Is.True);
    }

    [Test]
    public void CustomSource_DisposedSynchronously_RunsItsDisposeAsync()
    {
        var source = new PushedFlagSource(File("checkout-v2", on: true));
        var client = new FlagClient(source);

        client.Dispose();

        Assert.That(source.Disposed, Is.True);
    }

    private static FlagFile File(string key, bool on) => new()
    {
        Flags =
        [
            new FlagDocument
            {
                Key = key,
                Kind = FlagKind.Bool,
                On = on,
                Variants = new() { ["on"] = JsonSerializer.SerializeToElement(true), ["off"] = JsonSerializer.SerializeToElement(false) },
                OffVariant = "off",
                DefaultRule = new ServeDocument { Variant = "on" },
            },
        ],
    };

    /// <summary>A user's source: flags pushed by the application (e.g. from its own configuration system).</summary>
    private sealed class PushedFlagSource(FlagFile initial) : FlagSource
    {
        private readonly Lock _gate = new();

        public FlagSnapshotSink? Sink { get; private set; }

        public bool Disposed { get; private set; }

        public override Task StartAsync(FlagSnapshotSink sink, CancellationToken cancellationToken)
        {
            lock (_gate)
            {
                Sink = sink;
                sink.Publish(initial);
                sink.SetStatus(FlagClientStatus.Ready, "pushed flags");
            }

            return Task.CompletedTask;
        }

        public void Push(FlagFile file)
        {
            lock (_gate)
            {
                try
                {
                    Sink!.Publish(file);
                    Sink.SetStatus(FlagClientStatus.Ready, "pushed flags");
                }
                catch (FlagValidationException ex)
                {
                    Sink!.SetStatus(FlagClientStatus.Stale, $"pushed flags refused: {ex.Message}");
                    throw;
                }
            }
        }

        public override async ValueTask DisposeAsync()
        {
            await Task.Yield();
            Disposed = true;
        }
    }
}
