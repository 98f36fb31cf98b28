using System.Diagnostics;
using System.Reflection;
using FlagKit.Protocol.V1;
using FlagKit.Reliability.Tests.Infrastructure;
using FlagKit.Server.Tests;
using Google.Protobuf;
using Grpc.Core;

namespace FlagKit.Reliability.Tests.Floods;

/// <summary>
/// Issue 11 item 3: a big ApplyFile used to be committed but answered RESOURCE_EXHAUSTED (the answer echoed every
/// document), and listing and export then failed for that environment for good. The server runs with a 2 MB message
/// limit so that 6 000 flags are "big": the write's answer stays within the limit, listing pages, export streams, and
/// an environment's flag limit is refused before any work.
/// </summary>
[TestFixture]
public sealed class LargeEnvironmentTests
{
    private const int MaxMessageBytes = 2 * 1024 * 1024;
    private const int Flags = 6_000;

    private static readonly Dictionary<string, string?> Limits = new()
    {
        ["FlagKit:Server:MaxMessageBytes"] = MaxMessageBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["FlagKit:Server:BatchChunkBytes"] = (256 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["FlagKit:Server:MaxDocumentBytes"] = "16384",
    };

    [Test]
    public async Task ApplyFile_AnswerWouldExceedMessageLimit_CommittedAndAnsweredWithinLimit()
    {
        await using TestFlagServer server = await TestFlagServer.StartAsync(Limits);
        Assert.That(Generations.File(2, Flags, padding: 100).Length, Is.LessThan(MaxMessageBytes), "the request itself fits");
        await Generations.ApplyAsync(server.Admin, TestFlagServer.Environment, 1, Flags, padding: 100);

        // Every flag updated: the old answer carried 6 000 documents before and after (about 3 MB).
        WriteResponse answer = await Generations.ApplyAsync(server.Admin, TestFlagServer.Environment, 2, Flags, padding: 100);

        TestContext.Out.WriteLine($"answer {answer.CalculateSize()} bytes: {answer.Changes.Count} changes listed, {answer.ChangesOmitted} counted, documents omitted: {answer.DocumentsOmitted}");
        Assert.That(answer.Revision, Is.EqualTo(2));
        Assert.That(answer.CalculateSize(), Is.LessThan(MaxMessageBytes));
        Assert.That(answer.Changes.Count + answer.ChangesOmitted, Is.EqualTo(Flags));
        Assert.That(answer.Changes, Has.All.Matches<Change>(c => c.Action == "updated" && c.Summary.Length > 0));
        Assert.That(answer.DocumentsOmitted, Is.True);
        GetHistoryResponse history = await server.Admin.GetHistoryAsync(new GetHistoryRequest { Environment = TestFlagServer.Environment, Key = Generations.Key(Flags - 1), Limit = 1 });
        Assert.That(history.Entries[0].BeforeJson.IsEmpty || history.Entries[0].AfterJson.IsEmpty, Is.False, "the history keeps the documents");
        Assert.That(history.Entries[0].Operation, Is.EqualTo("applied file"));
    }

    [Test]
    public async Task ListFlagsAndExport_EnvironmentOverOneMessage_PagedAndStreamedWhole()
    {
        await using TestFlagServer server = await TestFlagServer.StartAsync(Limits);
        await Generations.ApplyAsync(server.Admin, TestFlagServer.Environment, 1, Flags, padding: 100);

        var keys = new List<string>();
        var request = new ListFlagsRequest { Environment = TestFlagServer.Environment, PageSize = 5_000 };
        int pages = 0;
        do
        {
            ListFlagsResponse page = await server.Admin.ListFlagsAsync(request);
            Assert.That(page.CalculateSize(), Is.LessThan(MaxMessageBytes));
            keys.AddRange(page.Flags.Select(f => f.Key));
            request.PageToken = page.NextPageToken;
            pages++;
        }
        while (request.PageToken.Length > 0);

        Assert.That(pages, Is.GreaterThan(1), "cut to the message limit, not only to the page size");
        Assert.That(keys, Is.EqualTo(Generations.Keys(Flags).ToList()));

        var file = new MemoryStream();
        using (AsyncServerStreamingCall<ExportFileResponse> export = server.Admin.ExportFileStream(new ExportFileRequest { Environment = TestFlagServer.Environment }))
        {
            await foreach (ExportFileResponse chunk in export.ResponseStream.ReadAllAsync())
            {
                Assert.That(chunk.Revision, Is.EqualTo(1));
                chunk.FileJson.WriteTo(file);
            }
        }

        Assert.That(FlagCount(file.ToArray()), Is.EqualTo(Flags));

        // An older client asking for everything at once gets a clear refusal, never a cut list.
        RpcException list = Assert.ThrowsAsync<RpcException>(async () => await server.Admin.ListFlagsAsync(new ListFlagsRequest { Environment = TestFlagServer.Environment }))!;
        Assert.That(list.StatusCode, Is.EqualTo(StatusCode.ResourceExhausted));
        Assert.That(list.Status.Detail, Does.Contain("page_size"));
        RpcException whole = Assert.ThrowsAsync<RpcException>(async () => await server.Admin.ExportFileAsync(new ExportFileRequest { Environment = TestFlagServer.Environment }))!;
        Assert.That(whole.StatusCode, Is.EqualTo(StatusCode.ResourceExhausted));
        Assert.That(whole.Status.Detail, Does.Contain("ExportFileStream"));
    }

    [Test]
    public async Task Cli_ListAndExportOfEnvironmentOverOneMessage_PagesAndStreams()
    {
        await using TestFlagServer server = await TestFlagServer.StartAsync(Limits);
        await Generations.ApplyAsync(server.Admin, TestFlagServer.Environment, 1, Flags, padding: 100);
        string exported = Path.Combine(server.DataDirectory, "exported.json");

        (int listExit, string list) = await RunCliAsync(server.Address, "list", "--json");
        (int exportExit, string export) = await RunCliAsync(server.Address, "export", "--output", exported);

        Assert.That(listExit, Is.Zero, list);
        using (var json = System.Text.Json.JsonDocument.Parse(list))
        {
            Assert.That(json.RootElement.GetProperty("flags").GetArrayLength(), Is.EqualTo(Flags));
        }

        Assert.That(exportExit, Is.Zero, export);
        Assert.That(FlagCount(await File.ReadAllBytesAsync(exported)), Is.EqualTo(Flags));
    }

    [Test]
    public async Task ListFlagsAndExport_SmallEnvironmentOldClient_AnsweredWhole()
    {
        await using TestFlagServer server = await TestFlagServer.StartAsync(Limits);
        await Generations.ApplyAsync(server.Admin, TestFlagServer.Environment, 1, 3);

        ListFlagsResponse all = await server.Admin.ListFlagsAsync(new ListFlagsRequest { Environment = TestFlagServer.Environment });
        ExportFileResponse export = await server.Admin.ExportFileAsync(new ExportFileRequest { Environment = TestFlagServer.Environment });

        Assert.That(all.Flags.Select(f => f.Key), Is.EqualTo(Generations.Keys(3)));
        Assert.That(all.NextPageToken, Is.Empty);
        Assert.That(FlagCount(export.FileJson.ToByteArray()), Is.EqualTo(3));
    }

    [Test]
    public async Task ApplyFile_OverFlagLimit_RefusedBeforeAnyWorkNothingChanged()
    {
        await using TestFlagServer server = await TestFlagServer.StartAsync(new Dictionary<string, string?> { ["FlagKit:Server:MaxFlagsPerEnvironment"] = "100" });
        await Generations.ApplyAsync(server.Admin, TestFlagServer.Environment, 1, 100);

        RpcException file = Assert.ThrowsAsync<RpcException>(() => Generations.ApplyAsync(server.Admin, TestFlagServer.Environment, 1, 101))!;
        RpcException put = Assert.ThrowsAsync<RpcException>(async () => await server.Admin.PutDocumentAsync(new PutDocumentRequest
        {
            Environment = TestFlagServer.Environment,
            Kind = DocumentKind.Flag,
            Json = ByteString.CopyFromUtf8("""{ "key": "one-more", "kind": "bool", "on": true, "variants": { "on": true, "off": false }, "offVariant": "off", "defaultRule": { "variant": "on" } }"""),
        }))!;

        TestContext.Out.WriteLine(file.Status.Detail);
        Assert.That(file.StatusCode, Is.EqualTo(StatusCode.ResourceExhausted));
        Assert.That(file.Status.Detail, Does.Contain("101").And.Contain("100").And.Contain("MaxFlagsPerEnvironment"));
        Assert.That(put.StatusCode, Is.EqualTo(StatusCode.ResourceExhausted));
        ListEnvironmentsResponse list = await server.Admin.ListEnvironmentsAsync(new ListEnvironmentsRequest());
        Assert.That(list.Environments.Single().Revision, Is.EqualTo(1), "nothing was committed");
        Assert.That(list.Environments.Single().FlagCount, Is.EqualTo(100));
    }

    private static async Task<(int Exit, string Output)> RunCliAsync(Uri server, params string[] args)
    {
        string cli = typeof(LargeEnvironmentTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "FlagKitCliPath").Value!;
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(cli)!,
        };
        foreach (string arg in new[] { cli }.Concat(args).Concat(["--url", server.ToString(), "--key", TestFlagServer.AdminKey, "--env", TestFlagServer.Environment]))
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout + await stderr);
    }

    private static int FlagCount(byte[] file)
    {
        using var json = System.Text.Json.JsonDocument.Parse(file);
        return json.RootElement.GetProperty("flags").GetArrayLength();
    }
}
