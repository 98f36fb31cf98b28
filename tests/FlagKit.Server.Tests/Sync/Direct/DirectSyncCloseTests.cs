using System.Text;
using FlagKit.Protocol.V1;
using FlagKit.Server.Sync.Direct;
using Google.Protobuf;
using Microsoft.Extensions.Logging;

namespace FlagKit.Server.Tests.Sync.Direct;

/// <summary>
/// A direct Sync connection over TLS that ends (a connection error) while its peer reads nothing and megabytes of its streams'
/// data wait in the transport: the close is bounded (handlers, then output, each waited for at most 5 s), nothing fails
/// loudly, and the connection is gone.
/// </summary>
public sealed class DirectSyncCloseTests
{
    private readonly DirectSyncLogCapture _log = new();
    private TestFlagServer _server = null!;

    private string _directory = null!;

    [OneTimeSetUp]
    public void CreateCertificate()
    {
        _directory = Directory.CreateTempSubdirectory("flagkit-direct-tls-").FullName;
        using var key = System.Security.Cryptography.RSA.Create(2048);
        var request = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=localhost", key, System.Security.Cryptography.HashAlgorithmName.SHA256, System.Security.Cryptography.RSASignaturePadding.Pkcs1);
        using var created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        File.WriteAllBytes(Path.Combine(_directory, "server.pfx"), created.Export(System.Security.Cryptography.X509Certificates.X509ContentType.Pfx, "pw"));
    }

    [OneTimeTearDown]
    public void DeleteCertificate() => Directory.Delete(_directory, recursive: true);

    [SetUp]
    public async Task StartServer()
    {
        _server = await TestFlagServer.StartAsync(
            new Dictionary<string, string?> { ["FlagKit:Server:CertificatePath"] = Path.Combine(_directory, "server.pfx"), ["FlagKit:Server:CertificatePassword"] = "pw" },
            configure: builder => builder.Logging.AddProvider(_log));
        var pad = new string('x', 200);
        var json = new StringBuilder("""{ "schema": 1, "flags": [""");
        for (var i = 0; i < 2000; i++)
        {
            json.Append(i == 0 ? "" : ",").Append(System.Globalization.CultureInfo.InvariantCulture, $$"""
                { "key": "f{{i:D4}}", "kind": "bool", "on": true, "description": "{{pad}}",
                  "variants": { "on": true, "off": false }, "offVariant": "off", "defaultRule": { "variant": "on" } }
                """);
        }

        await _server.Admin.ApplyFileAsync(new ApplyFileRequest { Environment = TestFlagServer.Environment, FileJson = ByteString.CopyFromUtf8(json.Append("] }").ToString()) });
    }

    [TearDown]
    public async Task StopServer() => await _server.DisposeAsync();

    /// <remarks>Over TLS the transport's writer is a stream writer that refuses a Complete while its write is pending.</remarks>
    [Test]
    public async Task ConnectionErrorWhileThePeerReadsNothing_Tls_ClosedAfterTheBoundsNothingLoggedAsAnError()
    {
        await using var client = await DirectSyncRawClient.ConnectAsync(_server.Address, (0x4, 64 * 1024 * 1024));
        await client.WriteWindowUpdateAsync(0, int.MaxValue - Http2Frame.DefaultWindow);
        for (var id = 1; id < 60; id += 2)
        {
            await client.OpenSyncAsync(id);
        }

        await Task.Delay(TimeSpan.FromSeconds(1));
        await client.WriteWindowUpdateAsync(0, 0);

        // Handlers end at once (their waiting flushes are released); the output is waited for 5 s, then dropped.
        await Task.Delay(TimeSpan.FromSeconds(7));
        var closed = await client.ReadForAsync(TimeSpan.FromSeconds(5));

        Assert.That(closed, Is.True);
        Assert.That(_log.Errors, Is.Empty);
    }
}
