using System.Text;
using FlagKit.Protocol.V1;
using FlagKit.Reliability.Tests.Infrastructure;
using FlagKit.Server.Tests;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Grpc.Core;

namespace FlagKit.Reliability.Tests.Intruders;

/// <summary>
/// Someone without the right key: every admin RPC (all of them, found from the service descriptor) refuses a missing
/// key, a malformed header, a wrong key, a revoked key and an SDK key, and changes nothing; an SDK key reads only its
/// own environment; keys are stored hashed (no secret appears anywhere in the SQLite files); revoking a key ends the
/// streams opened with it.
/// </summary>
[TestFixture]
public sealed class ApiKeyAttackTests
{
    private static readonly Marshaller<byte[]> Raw = Marshallers.Create(b => b, b => b);

    private static IEnumerable<TestCaseData> Intruders()
    {
        yield return new TestCaseData(null, StatusCode.Unauthenticated).SetArgDisplayNames("no key");
        yield return new TestCaseData("Basic dXNlcjpwYXNz", StatusCode.Unauthenticated).SetArgDisplayNames("not a bearer header");
        yield return new TestCaseData("Bearer fk_admin_guessed_0000000000000000000000000", StatusCode.Unauthenticated).SetArgDisplayNames("wrong key");
        yield return new TestCaseData("Bearer " + TestFlagServer.AdminKey[..^1], StatusCode.Unauthenticated).SetArgDisplayNames("admin key minus its last character");
        yield return new TestCaseData("Bearer " + TestFlagServer.SdkKey, StatusCode.PermissionDenied).SetArgDisplayNames("SDK key");
    }

    [TestCaseSource(nameof(Intruders))]
    public async Task EveryAdminRpc_WithoutAnAdminKey_IsRefusedAndChangesNothing(string? authorization, StatusCode expected)
    {
        await using TestFlagServer server = await TestFlagServer.StartAsync();
        long revisionBefore = await RevisionAsync(server);
        int keysBefore = (await server.Admin.ListApiKeysAsync(new ListApiKeysRequest())).Keys.Count;

        IList<MethodDescriptor> methods = FlagAdmin.Descriptor.Methods;
        Assert.That(methods, Has.Count.GreaterThanOrEqualTo(20), "the admin service's methods, from its descriptor");
        var outcomes = new List<string>();
        foreach (MethodDescriptor method in methods)
        {
            StatusCode code = await CallAsync(server, method, authorization, Request(method));
            outcomes.Add($"{method.Name}: {code}");
        }

        Assert.That(outcomes, Is.All.EndsWith(": " + expected));
        Assert.That(await RevisionAsync(server), Is.EqualTo(revisionBefore), "no write got through");
        Assert.That((await server.Admin.ListApiKeysAsync(new ListApiKeysRequest())).Keys, Has.Count.EqualTo(keysBefore), "no key was created");
    }

    [Test]
    public async Task EveryAdminRpc_WithARevokedAdminKey_IsRefused()
    {
        await using TestFlagServer server = await TestFlagServer.StartAsync();
        CreateApiKeyResponse created = await server.Admin.CreateApiKeyAsync(new CreateApiKeyRequest { Name = "soon revoked", Role = ApiKeyRole.Admin });
        Assert.That(await CallAsync(server, FlagAdmin.Descriptor.FindMethodByName("ListEnvironments"), "Bearer " + created.Secret, []), Is.EqualTo(StatusCode.OK));
        await server.Admin.RevokeApiKeyAsync(new RevokeApiKeyRequest { Id = created.Key.Id });

        var outcomes = new List<string>();
        foreach (MethodDescriptor method in FlagAdmin.Descriptor.Methods)
        {
            outcomes.Add($"{method.Name}: {await CallAsync(server, method, "Bearer " + created.Secret, Request(method))}");
        }

        Assert.That(outcomes, Is.All.EndsWith(": " + StatusCode.Unauthenticated));
    }

    [Test]
    public async Task SdkKey_OfAnotherEnvironment_CannotReadThisOne()
    {
        await using TestFlagServer server = await TestFlagServer.StartAsync();
        await server.Admin.CreateEnvironmentAsync(new CreateEnvironmentRequest { Name = "staging" });
        CreateApiKeyResponse staging = await server.Admin.CreateApiKeyAsync(new CreateApiKeyRequest { Name = "staging sdk", Role = ApiKeyRole.Sdk, Environment = "staging" });
        await Generations.ApplyAsync(server.Admin, TestFlagServer.Environment, 1, 3, padding: 1);

        // The raw stream: Hello for production with the staging key.
        using SyncStream raw = await SyncStream.OpenAsync(server.CreateSyncClient(staging.Secret), environment: TestFlagServer.Environment);
        RpcException refused = Assert.ThrowsAsync<RpcException>(async () =>
        {
            while (await raw.Call.ResponseStream.MoveNext(CancellationToken.None))
            {
                Assert.That(raw.Call.ResponseStream.Current.KindCase, Is.Not.EqualTo(SyncResponse.KindOneofCase.Snapshot), "a snapshot of production reached the staging key");
            }
        })!;
        Assert.That(refused.StatusCode, Is.EqualTo(StatusCode.PermissionDenied));
        Assert.That(refused.Status.Detail, Does.Contain("staging").Or.Contain(TestFlagServer.Environment));

        // The SDK: reports the refusal, serves nothing of production.
        await using SdkClient sdk = await SdkClient.StartAsync(SdkClient.Options(server.Address, staging.Secret, TestFlagServer.Environment));
        await Wait.UntilAsync(() => sdk.Client.Status == FlagClientStatus.Failed, "the SDK reports the refusal");
        Assert.That(sdk.Source.LastReported.Detail, Does.Contain("PermissionDenied"));
        Assert.That(sdk.Client.Snapshot.FlagCount, Is.Zero);

        // And an admin-looking environment name in Hello does not help either.
        using SyncStream other = await SyncStream.OpenAsync(server.CreateSyncClient(TestFlagServer.SdkKey), environment: "staging");
        RpcException refusedToo = Assert.ThrowsAsync<RpcException>(async () =>
        {
            while (await other.Call.ResponseStream.MoveNext(CancellationToken.None))
            {
            }
        })!;
        Assert.That(refusedToo.StatusCode, Is.EqualTo(StatusCode.PermissionDenied));
    }

    [Test]
    public async Task Keys_InTheDataFiles_OnlyHashesNeverASecret()
    {
        await using TestFlagServer server = await TestFlagServer.StartAsync();
        var secrets = new List<string> { TestFlagServer.AdminKey, TestFlagServer.SdkKey };
        secrets.Add((await server.Admin.CreateApiKeyAsync(new CreateApiKeyRequest { Name = "ops", Role = ApiKeyRole.Admin })).Secret);
        secrets.Add((await server.Admin.CreateApiKeyAsync(new CreateApiKeyRequest { Name = "game", Role = ApiKeyRole.Sdk, Environment = TestFlagServer.Environment })).Secret);
        ListApiKeysResponse listed = await server.Admin.ListApiKeysAsync(new ListApiKeysRequest());

        // Every file SQLite keeps (database, WAL, shared memory), read while the server runs and after it stopped.
        string[] Hits()
        {
            var hits = new List<string>();
            foreach (string file in Directory.EnumerateFiles(server.DataDirectory, "*", SearchOption.AllDirectories))
            {
                byte[] bytes;
                using (var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
                {
                    bytes = new byte[stream.Length];
                    stream.ReadExactly(bytes);
                }

                foreach (string secret in secrets)
                {
                    // The whole secret, and its random part alone (a prefix may be stored to recognise a key).
                    if (bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(secret)) >= 0 || bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(secret[^16..])) >= 0)
                    {
                        hits.Add($"{Path.GetFileName(file)} holds {secret[..8]}…");
                    }
                }
            }

            return [.. hits];
        }

        Assert.That(Hits(), Is.Empty);
        await server.StopAsync();
        Assert.That(Directory.EnumerateFiles(server.DataDirectory).Sum(f => new FileInfo(f).Length), Is.GreaterThan(0));
        Assert.That(Hits(), Is.Empty);
        Assert.That(listed.Keys.Select(k => k.Prefix), Has.None.Matches<string>(p => secrets.Any(s => p.Length >= s.Length / 2)), "listing shows only short prefixes");
    }

    [Test]
    public async Task RevokeSdkKey_WhileStreaming_EndsItsStreamsOthersKeepGoing()
    {
        await using TestFlagServer server = await TestFlagServer.StartAsync();
        CreateApiKeyResponse doomed = await server.Admin.CreateApiKeyAsync(new CreateApiKeyRequest { Name = "leaked", Role = ApiKeyRole.Sdk, Environment = TestFlagServer.Environment });
        await Generations.ApplyAsync(server.Admin, TestFlagServer.Environment, 1, 3, padding: 1);
        await using SdkClient leaked = await SdkClient.StartAsync(SdkClient.Options(server.Address, doomed.Secret, TestFlagServer.Environment));
        await using SdkClient honest = await SdkClient.StartAsync(SdkClient.Options(server.Address, TestFlagServer.SdkKey, TestFlagServer.Environment));
        await Wait.UntilAsync(() => leaked.Client.Status == FlagClientStatus.Ready && honest.Client.Status == FlagClientStatus.Ready, "both clients are ready");
        using SyncStream raw = await SyncStream.OpenAsync(server.CreateSyncClient(doomed.Secret), instanceId: "raw-leaked");

        await server.Admin.RevokeApiKeyAsync(new RevokeApiKeyRequest { Id = doomed.Key.Id });

        RpcException ended = Assert.ThrowsAsync<RpcException>(async () =>
        {
            using var deadline = new CancellationTokenSource(Wait.Deadline);
            while (await raw.Call.ResponseStream.MoveNext(deadline.Token))
            {
            }
        })!;
        Assert.That(ended.StatusCode, Is.EqualTo(StatusCode.Unauthenticated));
        Assert.That(ended.Status.Detail, Does.Contain("revoked"));
        await Wait.UntilAsync(() => leaked.Client.Status == FlagClientStatus.Failed, "the SDK with the revoked key is refused");
        Assert.That(leaked.Client.Snapshot.FlagCount, Is.EqualTo(3), "it keeps serving what it had: a revoked key stops updates, not the game");

        WriteResponse after = await Generations.ApplyAsync(server.Admin, TestFlagServer.Environment, 2, 3, padding: 1);
        await Wait.UntilAsync(() => honest.Client.Snapshot.Revision == after.Revision, "the other client keeps receiving changes");
        Assert.That(leaked.Client.Snapshot.Revision, Is.LessThan(after.Revision));
        ListInstancesResponse instances = await server.Admin.ListInstancesAsync(new ListInstancesRequest { Environment = TestFlagServer.Environment });
        Assert.That(instances.Instances.Select(i => i.InstanceId), Is.EquivalentTo(new[] { honest.Source.InstanceId }));
    }

    private static async Task<long> RevisionAsync(TestFlagServer server) =>
        (await server.Admin.ListEnvironmentsAsync(new ListEnvironmentsRequest())).Environments.Single(e => e.Name == TestFlagServer.Environment).Revision;

    /// <summary>A request that would do something if it were allowed (a write names the environment and a valid document).</summary>
    private static byte[] Request(MethodDescriptor method) => method.Name switch
    {
        "PutDocument" => new PutDocumentRequest { Environment = TestFlagServer.Environment, Kind = DocumentKind.Flag, Json = Google.Protobuf.ByteString.CopyFromUtf8("""{ "key": "evil", "kind": "bool", "on": true, "variants": { "on": true, "off": false }, "offVariant": "off", "defaultRule": { "variant": "on" } }""") }.ToByteArray(),
        "ApplyFile" => new ApplyFileRequest { Environment = TestFlagServer.Environment, FileJson = Generations.File(9, 1), Prune = true }.ToByteArray(),
        "SetFlagState" => new SetFlagStateRequest { Environment = TestFlagServer.Environment, Tag = "wallet", Change = FlagStateChange.Kill }.ToByteArray(),
        "CreateApiKey" => new CreateApiKeyRequest { Name = "backdoor", Role = ApiKeyRole.Admin }.ToByteArray(),
        "CreateEnvironment" => new CreateEnvironmentRequest { Name = "evil" }.ToByteArray(),
        "Rollback" => new RollbackRequest { Environment = TestFlagServer.Environment, ToRevision = 0 }.ToByteArray(),
        _ => [],
    };

    /// <summary>Calls one admin method with raw bytes (so every method can be called the same way) and returns the status.</summary>
    private static async Task<StatusCode> CallAsync(TestFlagServer server, MethodDescriptor method, string? authorization, byte[] request)
    {
        var call = new Method<byte[], byte[]>(MethodType.Unary, FlagAdmin.Descriptor.FullName, method.Name, Raw, Raw);
        var headers = new Metadata();
        if (authorization is not null)
        {
            headers.Add("authorization", authorization);
        }

        try
        {
            await server.Channel.CreateCallInvoker().AsyncUnaryCall(call, null, new CallOptions(headers, deadline: System.DateTime.UtcNow.AddSeconds(20)), request);
            return StatusCode.OK;
        }
        catch (RpcException e)
        {
            return e.StatusCode;
        }
    }
}
