using FlagKit.Compilation;
using FlagKit.Protocol.V1;
using FlagKit.Server.Writes;
using Grpc.Core;

namespace FlagKit.Server.Tests.Writes;

/// <summary>
/// Incremental writes on a real server: a write compiles only what it changes and what depends on it, yet refuses
/// what a full build refuses, with the full build's message (random sequences: IncrementalWriteFuzzTests in the
/// reliability suite).
/// </summary>
[TestFixture]
public sealed class IncrementalWriteTests
{
    private const string Env = TestFlagServer.Environment;
    private TestFlagServer _server = null!;

    [SetUp]
    public async Task StartServer() => _server = await TestFlagServer.StartAsync();

    [TearDown]
    public async Task StopServer() => await _server.DisposeAsync();

    [Test]
    public async Task IncrementalWrite_OneFlag_ReusesEveryOtherCompiledFlag()
    {
        foreach (var key in new[] { "a", "b", "c" })
        {
            await _server.Admin.PutDocumentAsync(Docs.Put(Docs.BoolFlag(key, on: true)));
        }

        var catalog = _server.GetService<EnvironmentCatalog>();
        var before = catalog.Get(Env).Snapshot!;

        await _server.Admin.PutDocumentAsync(Docs.Put(Docs.SplitFlag("b", 30)));

        var after = catalog.Get(Env);
        Assert.That(Compiled(after.Snapshot!, "a"), Is.SameAs(Compiled(before, "a")));
        Assert.That(Compiled(after.Snapshot!, "c"), Is.SameAs(Compiled(before, "c")));
        Assert.That(Compiled(after.Snapshot!, "b"), Is.Not.SameAs(Compiled(before, "b")));
        Assert.That(after.ContentHash, Is.EqualTo(SnapshotBuilder.Build(after.ToFile(), after.Revision).ContentHash));
    }

    [Test]
    public async Task IncrementalWrite_ArchiveAPrerequisite_RefusedWithTheFullBuildsMessage()
    {
        await _server.Admin.PutDocumentAsync(Docs.Put(Docs.BoolFlag("a", on: true)));
        var required = await _server.Admin.PutDocumentAsync(Docs.Put(WithPrerequisite("b", "a", "on")));

        var error = Assert.ThrowsAsync<RpcException>(async () =>
            await _server.Admin.ArchiveDocumentAsync(new ArchiveDocumentRequest { Environment = Env, Kind = DocumentKind.Flag, Key = "a" }))!;

        Assert.That(error.StatusCode, Is.EqualTo(StatusCode.InvalidArgument));
        Assert.That(error.Status.Detail, Is.EqualTo("The flag document has 1 error:\n  flag 'b' at $.flags[0].prerequisites[0].flag: unknown prerequisite flag 'a'"));
        Assert.That(_server.GetService<EnvironmentCatalog>().Get(Env).Revision, Is.EqualTo(required.Revision));
    }

    [Test]
    public async Task IncrementalWrite_RenameAVariantARequiredFlagNeeds_RefusedNamingTheDependent()
    {
        await _server.Admin.PutDocumentAsync(Docs.Put(Docs.BoolFlag("a", on: true)));
        await _server.Admin.PutDocumentAsync(Docs.Put(WithPrerequisite("b", "a", "on")));
        var renamed = Docs.BoolFlag("a", on: true, defaultVariant: "yes", offVariant: "no").Replace("\"on\": true, \"off\": false", "\"yes\": true, \"no\": false", StringComparison.Ordinal);

        var error = Assert.ThrowsAsync<RpcException>(async () => await _server.Admin.PutDocumentAsync(Docs.Put(renamed)))!;

        Assert.That(error.StatusCode, Is.EqualTo(StatusCode.InvalidArgument));
        Assert.That(error.Status.Detail, Does.Contain("\n  flag 'b' at $.flags[1].prerequisites[0].variant: unknown variant 'on' of prerequisite flag 'a'"));
    }

    [Test]
    public async Task IncrementalWrite_ArchiveASegmentInUse_RefusedNamingTheFlag()
    {
        await _server.Admin.PutDocumentAsync(Docs.Put(Docs.Segment("vip", "1"), DocumentKind.Segment));
        await _server.Admin.PutDocumentAsync(Docs.Put(InSegment("b", "vip")));

        var error = Assert.ThrowsAsync<RpcException>(async () =>
            await _server.Admin.ArchiveDocumentAsync(new ArchiveDocumentRequest { Environment = Env, Kind = DocumentKind.Segment, Key = "vip" }))!;

        Assert.That(error.StatusCode, Is.EqualTo(StatusCode.InvalidArgument));
        Assert.That(error.Status.Detail, Does.Contain("flag 'b' at $.flags[0].rules[0].conditions[0]").And.Contain("unknown segment 'vip'"));
    }

    private static Evaluation.CompiledFlag Compiled(FlagSnapshot snapshot, string key) =>
        snapshot.TryGetFlag(key, out var flag) ? flag : throw new AssertionException($"flag '{key}' is missing");

    private static string WithPrerequisite(string key, string required, string variant) =>
        Docs.BoolFlag(key, on: true).TrimEnd().TrimEnd('}') + $$""", "prerequisites": [ { "flag": "{{required}}", "variant": "{{variant}}" } ] }""";

    private static string InSegment(string key, string segment) =>
        Docs.BoolFlag(key, on: true).TrimEnd().TrimEnd('}') + $$""", "rules": [ { "conditions": [ { "op": "inSegment", "values": ["{{segment}}"] } ], "variant": "on" } ] }""";
}
