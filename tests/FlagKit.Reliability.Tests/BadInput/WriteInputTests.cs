using FlagKit.Protocol.V1;
using FlagKit.Server.Tests;
using Google.Protobuf;
using Grpc.Core;

namespace FlagKit.Reliability.Tests.BadInput;

/// <summary>
/// Issue 11 items 7 and 8 against a real server: numbers that are not finite, NaN weights and a split naming a
/// variant twice are refused with INVALID_ARGUMENT and the JSON path (they used to escape as UNKNOWN "Exception was
/// thrown by handler"), and names with a trailing newline or other stray whitespace are refused (`$` used to match
/// before a final newline). Each time the environment keeps its last good revision.
/// </summary>
[TestFixture]
public sealed class WriteInputTests
{
    private const string Good = """
        { "key": "pay", "kind": "string", "on": true, "variants": { "a": "x", "b": "y" }, "offVariant": "a",
          "defaultRule": { "split": { "variants": [ { "variant": "a", "weight": 50 }, { "variant": "b", "weight": 50 } ] } } }
        """;

    private static IEnumerable<TestCaseData> BadDocuments()
    {
        yield return Case("number variant 1e400", """{ "key": "pay", "kind": "number", "on": true, "variants": { "a": 1e400, "b": 2 }, "offVariant": "b", "defaultRule": { "variant": "a" } }""", "variants");
        yield return Case("number variant -1e400", """{ "key": "pay", "kind": "number", "on": true, "variants": { "a": -1e400, "b": 2 }, "offVariant": "b", "defaultRule": { "variant": "a" } }""", "variants");
        yield return Case("json variant holding 1e400", """{ "key": "pay", "kind": "json", "on": true, "variants": { "a": { "limit": 1e400 }, "b": {} }, "offVariant": "b", "defaultRule": { "variant": "a" } }""", "variants");
        yield return Case("split weight 1e400", Good.Replace("\"weight\": 50 }, { \"variant\": \"b\"", "\"weight\": 1e400 }, { \"variant\": \"b\"", StringComparison.Ordinal), "weight");
        yield return Case("split naming a variant twice", Good.Replace("{ \"variant\": \"b\", \"weight\": 50 }", "{ \"variant\": \"a\", \"weight\": 50 }", StringComparison.Ordinal), "twice");
        yield return Case("condition operand 1e400", """{ "key": "pay", "kind": "bool", "on": true, "variants": { "on": true, "off": false }, "offVariant": "off", "rules": [ { "conditions": [ { "attribute": "age", "op": "gt", "values": [ 1e400 ] } ], "variant": "on" } ], "defaultRule": { "variant": "off" } }""", "values");

        static TestCaseData Case(string name, string json, string pathPart) => new TestCaseData(json, pathPart).SetArgDisplayNames(name);
    }

    [TestCaseSource(nameof(BadDocuments))]
    public async Task PutDocument_NonFiniteOrDuplicate_InvalidArgumentWithPath(string json, string pathPart)
    {
        await using TestFlagServer server = await TestFlagServer.StartAsync();
        WriteResponse good = await Put(server, Good);

        RpcException refused = Assert.ThrowsAsync<RpcException>(() => Put(server, json))!;

        TestContext.Out.WriteLine($"{refused.StatusCode}: {refused.Status.Detail}");
        Assert.That(refused.StatusCode, Is.EqualTo(StatusCode.InvalidArgument));
        Assert.That(refused.Status.Detail, Does.Contain("pay").And.Contain("$.").And.Contain(pathPart));
        await AssertStillAt(server, good.Revision);
    }

    private static IEnumerable<TestCaseData> BadWeights()
    {
        yield return Case("NaN weight", [("a", double.NaN), ("b", 100)]);
        yield return Case("+∞ weight", [("a", double.PositiveInfinity), ("b", 0)]);
        yield return Case("NaN and -∞", [("a", double.NaN), ("b", double.NegativeInfinity)]);
        yield return Case("a variant named twice", [("a", 50), ("a", 50)]);

        static TestCaseData Case(string name, (string Variant, double Weight)[] weights) => new TestCaseData((object)weights).SetArgDisplayNames(name);
    }

    [TestCaseSource(nameof(BadWeights))]
    public async Task SetRollout_NaNInfiniteOrDuplicateWeights_InvalidArgumentWithPath((string Variant, double Weight)[] weights)
    {
        await using TestFlagServer server = await TestFlagServer.StartAsync();
        WriteResponse good = await Put(server, Good);
        var request = new SetRolloutRequest { Environment = TestFlagServer.Environment, Key = "pay" };
        request.Weights.AddRange(weights.Select(w => new VariantWeight { Variant = w.Variant, Weight = w.Weight }));

        RpcException refused = Assert.ThrowsAsync<RpcException>(async () => await server.Admin.SetRolloutAsync(request))!;

        TestContext.Out.WriteLine($"{refused.StatusCode}: {refused.Status.Detail}");
        Assert.That(refused.StatusCode, Is.EqualTo(StatusCode.InvalidArgument));
        Assert.That(refused.Status.Detail, Does.Contain("flag 'pay' at $.").And.Contain("defaultRule.split.variants"));
        await AssertStillAt(server, good.Revision);
    }

    private static readonly string[] Whitespace = ["qa\n", "qa\r", "qa\r\n", "qa ", " qa", "qa\t", "q\na", "qa\u00a0", "qa\u2028", "qa\0"];

    [TestCaseSource(nameof(Whitespace))]
    public async Task CreateEnvironment_NameWithStrayWhitespace_InvalidArgument(string name)
    {
        await using TestFlagServer server = await TestFlagServer.StartAsync();

        RpcException refused = Assert.ThrowsAsync<RpcException>(async () => await server.Admin.CreateEnvironmentAsync(new CreateEnvironmentRequest { Name = name }))!;

        Assert.That(refused.StatusCode, Is.EqualTo(StatusCode.InvalidArgument));
        ListEnvironmentsResponse list = await server.Admin.ListEnvironmentsAsync(new ListEnvironmentsRequest());
        Assert.That(list.Environments.Select(e => e.Name), Is.EqualTo(new[] { TestFlagServer.Environment }));
    }

    [TestCaseSource(nameof(Whitespace))]
    public async Task CreateApiKey_NameWithStrayWhitespace_InvalidArgument(string name)
    {
        await using TestFlagServer server = await TestFlagServer.StartAsync();
        int before = (await server.Admin.ListApiKeysAsync(new ListApiKeysRequest())).Keys.Count;

        RpcException refused = Assert.ThrowsAsync<RpcException>(async () => await server.Admin.CreateApiKeyAsync(
            new CreateApiKeyRequest { Name = name, Role = ApiKeyRole.Sdk, Environment = TestFlagServer.Environment }))!;

        Assert.That(refused.StatusCode, Is.EqualTo(StatusCode.InvalidArgument));
        Assert.That((await server.Admin.ListApiKeysAsync(new ListApiKeysRequest())).Keys, Has.Count.EqualTo(before));
    }

    [TestCaseSource(nameof(Whitespace))]
    public async Task PutDocument_KeyWithStrayWhitespace_InvalidArgument(string key)
    {
        await using TestFlagServer server = await TestFlagServer.StartAsync();
        string json = $$"""{ "key": {{System.Text.Json.JsonSerializer.Serialize(key)}}, "kind": "bool", "on": true, "variants": { "on": true, "off": false }, "offVariant": "off", "defaultRule": { "variant": "on" } }""";

        RpcException refused = Assert.ThrowsAsync<RpcException>(() => Put(server, json))!;

        Assert.That(refused.StatusCode, Is.EqualTo(StatusCode.InvalidArgument));
        Assert.That(refused.Status.Detail, Does.Contain("key"));
    }

    private static async Task<WriteResponse> Put(TestFlagServer server, string json) =>
        await server.Admin.PutDocumentAsync(new PutDocumentRequest
        {
            Environment = TestFlagServer.Environment,
            Kind = DocumentKind.Flag,
            Json = ByteString.CopyFromUtf8(json),
        });

    private static async Task AssertStillAt(TestFlagServer server, long revision)
    {
        ListEnvironmentsResponse list = await server.Admin.ListEnvironmentsAsync(new ListEnvironmentsRequest());
        Assert.That(list.Environments.Single(e => e.Name == TestFlagServer.Environment).Revision, Is.EqualTo(revision), "the last good revision serves on");
    }
}
