using System.Text;
using FlagKit.Protocol.V1;
using FlagKit.Server.Tests;
using Google.Protobuf;

namespace FlagKit.Cli.Tests.Infrastructure;

/// <summary>
/// A fresh environment on the shared server, seeded from a flags file, and the way to run <c>flagkit</c> against it
/// (the admin key passed through <c>FLAGKIT_KEY</c>, as operators are told to).
/// </summary>
internal sealed class TestEnvironment
{
    /// <summary>A small flags file: a canary, two flags tagged <c>wallet</c> (one off), a killed flag, a segment.</summary>
    public const string SeedFile = """
        {
          "schema": 1,
          "flags": [
            { "key": "checkout-v2", "kind": "bool", "on": true, "tags": ["checkout"],
              "variants": { "on": true, "off": false }, "offVariant": "off",
              "defaultRule": { "split": { "variants": [ { "variant": "on", "weight": 5 }, { "variant": "off", "weight": 95 } ] } } },
            { "key": "wallet-a", "kind": "bool", "on": true, "tags": ["wallet"],
              "variants": { "on": true, "off": false }, "offVariant": "off", "defaultRule": { "variant": "on" } },
            { "key": "wallet-b", "kind": "bool", "on": false, "tags": ["wallet"],
              "variants": { "on": true, "off": false }, "offVariant": "off", "defaultRule": { "variant": "on" } },
            { "key": "legacy-banner", "kind": "string", "on": true, "killed": true,
              "variants": { "new": "new", "old": "old" }, "offVariant": "old", "defaultRule": { "variant": "new" } }
          ],
          "segments": [
            { "key": "staff", "included": ["acct-1"] }
          ]
        }
        """;

    private static int _counter;

    private TestEnvironment(string name) => Name = name;

    public string Name { get; }

    public static TestFlagServer Server => CliServer.Server;

    public static string Url => Server.Address.ToString().TrimEnd('/');

    public static FlagAdmin.FlagAdminClient Admin => Server.Admin;

    /// <summary>Creates an environment (named after the test) and applies <paramref name="file"/> to it.</summary>
    public static async Task<TestEnvironment> CreateAsync(string? file = SeedFile)
    {
        var name = $"t{Interlocked.Increment(ref _counter)}-{Guid.NewGuid().ToString("N")[..6]}";
        await Admin.CreateEnvironmentAsync(new CreateEnvironmentRequest { Name = name });
        if (file is not null)
        {
            await Admin.ApplyFileAsync(new ApplyFileRequest { Environment = name, FileJson = ByteString.CopyFromUtf8(file) });
        }

        return new TestEnvironment(name);
    }

    /// <summary>Runs <c>flagkit --url .. --env Name args</c> with the admin key in FLAGKIT_KEY.</summary>
    public Task<CliResult> RunAsync(params string[] args) => RunWithKeyAsync(TestFlagServer.AdminKey, args);

    /// <summary>Runs with another key (null: none).</summary>
    public Task<CliResult> RunWithKeyAsync(string? key, params string[] args) =>
        FlagKitProcess.RunAsync(
            ["--url", Url, "--env", Name, .. args],
            new Dictionary<string, string?> { ["FLAGKIT_KEY"] = key });

    public async Task<long> RevisionAsync() =>
        (await Admin.ListFlagsAsync(new ListFlagsRequest { Environment = Name })).EnvironmentRevision;

    /// <summary>A flag's stored document, as JSON.</summary>
    public async Task<System.Text.Json.JsonElement> FlagAsync(string key)
    {
        var record = await Admin.GetFlagAsync(new GetDocumentRequest { Environment = Name, Key = key });
        using var document = System.Text.Json.JsonDocument.Parse(record.Json.Memory);
        return document.RootElement.Clone();
    }

    /// <summary>Writes a JSON file (flags or config) to a temp path, with a UTF-8 byte order mark when asked.</summary>
    public static string WriteFile(string json, bool byteOrderMark = false)
    {
        var path = Path.Combine(FlagKitProcess.IsolatedHome, $"flags-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, json, new UTF8Encoding(byteOrderMark));
        return path;
    }

    /// <summary>Polls the server's instance list (bounded) until <paramref name="instanceId"/> has acked <paramref name="revision"/>.</summary>
    public async Task WaitUntilAckedAsync(string instanceId, long revision)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            var list = await Admin.ListInstancesAsync(new ListInstancesRequest { Environment = Name });
            if (list.Instances.Any(i => i.InstanceId == instanceId && i.AckedRevision >= revision))
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"instance {instanceId} did not ack revision {revision} in '{Name}' within 20 s");
            }

            await Task.Delay(20);
        }
    }

    /// <summary>Changes the environment behind the CLI's back (test setup, or "someone else, meanwhile").</summary>
    public async Task<long> SetStateAsync(string key, FlagStateChange change) =>
        (await Admin.SetFlagStateAsync(new SetFlagStateRequest { Environment = Name, Key = key, Change = change })).Revision;

    /// <summary>Sets the default rule's rollout percentage behind the CLI's back.</summary>
    public async Task<long> SetRolloutAsync(string key, double percent, string comment = "") =>
        (await Admin.SetRolloutAsync(new SetRolloutRequest { Environment = Name, Key = key, Percent = percent, Variant = "on", Options = new WriteOptions { Comment = comment } })).Revision;

    /// <summary>Creates an SDK key reading this environment.</summary>
    public async Task<string> CreateSdkKeyAsync() =>
        (await Admin.CreateApiKeyAsync(new CreateApiKeyRequest { Name = "sdk-" + Name, Role = ApiKeyRole.Sdk, Environment = Name })).Secret;
}
