using FlagKit.Cli.Tests.Infrastructure;
using FlagKit.Protocol.V1;
using Grpc.Core;

namespace FlagKit.Cli.Tests.Commands;

/// <summary>env list/create and keys list/create/revoke.</summary>
[TestFixture]
public sealed class AdminCommandsTests
{
    [Test]
    public async Task Env_CreateThenList_ShowsTheNewEnvironmentAndADuplicateConflicts()
    {
        var env = await TestEnvironment.CreateAsync(file: null);
        var name = env.Name + "-staging";

        var create = await env.RunAsync("env", "create", name, "--json");
        var duplicate = await env.RunAsync("env", "create", name);
        var table = await env.RunAsync("env", "list");

        Assert.That(create.ExitCode, Is.EqualTo(0), create.ToString);
        Assert.That(create.Json().GetProperty("name").GetString(), Is.EqualTo(name));
        Assert.That(duplicate.ExitCode, Is.EqualTo(ExitCodes.Conflict), duplicate.ToString);
        Assert.That(table.Stdout, Does.Match(@"ENVIRONMENT\s+REVISION\s+FLAGS\s+SEGMENTS\s+CREATED").And.Contain(name));
    }

    [Test]
    public async Task Keys_CreateListRevoke_SecretShownOnceAndRevokedKeyIsRefused()
    {
        var env = await TestEnvironment.CreateAsync();

        var create = await env.RunAsync("keys", "create", "ops-" + env.Name, "--role", "admin", "--json");
        var created = create.Json();
        var id = created.GetProperty("key").GetProperty("id").GetString()!;
        var secret = created.GetProperty("secret").GetString()!;
        var usable = await env.RunWithKeyAsync(secret, "list", "--json");
        var list = await env.RunAsync("keys", "list", "--json");
        var revoke = await env.RunAsync("keys", "revoke", id);
        var refused = await env.RunWithKeyAsync(secret, "list");

        Assert.That(create.ExitCode, Is.EqualTo(0), create.ToString);
        Assert.That(created.GetProperty("key").GetProperty("role").GetString(), Is.EqualTo("admin"));
        Assert.That(usable.ExitCode, Is.EqualTo(0), usable.ToString);
        var listed = list.Json().GetProperty("keys").EnumerateArray().Single(k => k.GetProperty("id").GetString() == id);
        Assert.That(listed.GetProperty("revoked").GetBoolean(), Is.False);
        Assert.That(list.Stdout, Does.Not.Contain(secret), "secrets are never listed");
        Assert.That(revoke.ExitCode, Is.EqualTo(0), revoke.ToString);
        Assert.That(revoke.Stdout, Does.Contain($"revoked admin key 'ops-{env.Name}'"));
        Assert.That(refused.ExitCode, Is.EqualTo(ExitCodes.Auth), refused.ToString);
    }

    [Test]
    public async Task Keys_CreateViewerKey_IsListedAsViewerAndRefusedByTheAdminApi()
    {
        var env = await TestEnvironment.CreateAsync();

        var create = await env.RunAsync("keys", "create", "viewer-" + env.Name, "--role", "viewer", "--json");
        var created = create.Json();
        var secret = created.GetProperty("secret").GetString()!;
        var refused = await env.RunWithKeyAsync(secret, "list");

        Assert.That(create.ExitCode, Is.EqualTo(0), create.ToString);
        Assert.That(created.GetProperty("key").GetProperty("role").GetString(), Is.EqualTo("viewer"));
        Assert.That(secret, Does.StartWith("fk_viewer_"));
        Assert.That(refused.ExitCode, Is.Not.EqualTo(0), refused.ToString);
        Assert.That(refused.ToString(), Does.Contain("viewer key"));
    }

    [Test]
    public async Task Keys_CreateSdkKey_ReadsOnlyItsEnvironmentAndIsRefusedByTheAdminApi()
    {
        var env = await TestEnvironment.CreateAsync();

        var create = await env.RunAsync("keys", "create", "svc-" + env.Name, "--json");
        var key = create.Json();
        var secret = key.GetProperty("secret").GetString()!;
        var write = await env.RunWithKeyAsync(secret, "kill", "checkout-v2");

        Assert.That(create.ExitCode, Is.EqualTo(0), create.ToString);
        Assert.That(key.GetProperty("key").GetProperty("role").GetString(), Is.EqualTo("sdk"));
        Assert.That(key.GetProperty("key").GetProperty("environment").GetString(), Is.EqualTo(env.Name));
        Assert.That(write.ExitCode, Is.EqualTo(ExitCodes.Auth), write.ToString);
        Assert.That(write.Stderr, Does.Contain("needs an admin key"));
        // The key does work where it is meant to: the sync stream of its environment.
        using var stream = await FlagKit.Server.Tests.SyncStream.OpenAsync(TestEnvironment.Server.CreateSyncClient(secret), environment: env.Name);
        var (welcome, _) = await stream.ReadWelcomeAndFirstBatchAsync();
        Assert.That(welcome.Environment, Is.EqualTo(env.Name));
    }
}
