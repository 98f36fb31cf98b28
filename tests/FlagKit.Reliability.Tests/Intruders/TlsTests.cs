using System.Diagnostics;
using System.Net.Security;
using System.Reflection;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using FlagKit.Protocol.V1;
using FlagKit.Reliability.Tests.Infrastructure;
using FlagKit.Server.Tests;
using FlagKit.Sources;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;

namespace FlagKit.Reliability.Tests.Intruders;

/// <summary>
/// TLS with a certificate the test makes (self-signed, for 127.0.0.1 and localhost, exported to a PFX with a password):
/// the server serves TLS; the SDK connects when it trusts that certificate (through <see cref="GrpcFlagSourceOptions.HttpHandler"/>)
/// and refuses a server it does not trust; the CLI connects when the certificate is in its trust store (SSL_CERT_FILE);
/// cleartext to the TLS port gets nothing.
/// </summary>
[TestFixture]
public sealed class TlsTests
{
    private const string Password = "pfx-password-for-tests";
    private string _directory = null!;
    private X509Certificate2 _certificate = null!;
    private string _pfxPath = null!;
    private string _pemPath = null!;

    [OneTimeSetUp]
    public void CreateCertificate()
    {
        _directory = Directory.CreateTempSubdirectory("flagkit-tls-").FullName;
        using RSA key = RSA.Create(2048);
        var request = new CertificateRequest("CN=flagkit-test-server", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(System.Net.IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment | X509KeyUsageFlags.KeyCertSign, critical: true));
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        DateTimeOffset now = DateTimeOffset.UtcNow;
        using X509Certificate2 created = request.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(1));
        _pfxPath = Path.Combine(_directory, "server.pfx");
        File.WriteAllBytes(_pfxPath, created.Export(X509ContentType.Pfx, Password));
        _pemPath = Path.Combine(_directory, "ca.pem");
        File.WriteAllText(_pemPath, created.ExportCertificatePem());
        _certificate = X509CertificateLoader.LoadCertificate(created.RawData);
    }

    [OneTimeTearDown]
    public void DeleteCertificate()
    {
        _certificate.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Test]
    public async Task ServerWithCertificate_SdkTrustingIt_ConnectsAndSyncs()
    {
        await using TestFlagServer server = await StartTlsServerAsync();
        Assert.That(server.Address.Scheme, Is.EqualTo("https"));
        using var admin = TrustingChannel(server.Address);
        var adminClient = new FlagAdmin.FlagAdminClient(admin.Intercept(m =>
        {
            m.Add("authorization", "Bearer " + TestFlagServer.AdminKey);
            return m;
        }));
        WriteResponse write = await Generations.ApplyAsync(adminClient, TestFlagServer.Environment, 1, 5, padding: 1);

        using SocketsHttpHandler handler = TrustingHandler();
        GrpcFlagSourceOptions options = SdkClient.Options(server.Address, TestFlagServer.SdkKey, TestFlagServer.Environment);
        options.HttpHandler = handler;
        await using SdkClient sdk = await SdkClient.StartAsync(options);

        await Wait.UntilAsync(() => sdk.Client.Snapshot.Revision == write.Revision, () => $"the SDK syncs over TLS (status {sdk.Client.Status}: {sdk.Source.LastReported.Detail})");
        Assert.That(sdk.Client.Status, Is.EqualTo(FlagClientStatus.Ready));
        Assert.That(Generations.Of(sdk.Client.Snapshot, 5), Is.EqualTo(1));
    }

    [Test]
    public async Task ServerWithCertificate_SdkNotTrustingIt_RefusesAndSaysWhy()
    {
        await using TestFlagServer server = await StartTlsServerAsync();
        await using SdkClient sdk = await SdkClient.StartAsync(SdkClient.Options(server.Address, TestFlagServer.SdkKey, TestFlagServer.Environment));

        await Wait.UntilAsync(() => sdk.Source.Diagnostics.LastDisconnect is not null, "the SDK gave up on the first attempt");
        Assert.That(sdk.Client.Status, Is.Not.EqualTo(FlagClientStatus.Ready));
        Assert.That(sdk.Source.Diagnostics.LastDisconnect, Does.Contain("SSL").IgnoreCase.Or.Contain("certificate").IgnoreCase);
        Assert.That(sdk.Client.Snapshot.FlagCount, Is.Zero);
    }

    [Test]
    public async Task ServerWithCertificate_CleartextClient_GetsNothing()
    {
        await using TestFlagServer server = await StartTlsServerAsync();
        var cleartext = new UriBuilder(server.Address) { Scheme = "http" }.Uri;
        using var channel = GrpcChannel.ForAddress(cleartext);
        var admin = new FlagAdmin.FlagAdminClient(channel.Intercept(m =>
        {
            m.Add("authorization", "Bearer " + TestFlagServer.AdminKey);
            return m;
        }));

        RpcException refused = Assert.ThrowsAsync<RpcException>(async () => await admin.ListEnvironmentsAsync(new ListEnvironmentsRequest(), deadline: System.DateTime.UtcNow.AddSeconds(10)))!;
        Assert.That(refused.StatusCode, Is.Not.EqualTo(StatusCode.OK));
    }

    [Test]
    public async Task ServerWithCertificate_CliWithTheCertificateInItsTrustStore_Connects()
    {
        string cli = typeof(TlsTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "FlagKitCliPath").Value!;
        Assume.That(File.Exists(cli), $"the CLI is built at {cli}");
        await using TestFlagServer server = await StartTlsServerAsync();
        using var admin = TrustingChannel(server.Address);
        await Generations.ApplyAsync(new FlagAdmin.FlagAdminClient(admin.Intercept(m =>
        {
            m.Add("authorization", "Bearer " + TestFlagServer.AdminKey);
            return m;
        })), TestFlagServer.Environment, 1, 2, padding: 1);

        (int trustedExit, string trustedOut) = await RunCliAsync(cli, server.Address, trustFile: _pemPath);
        (int untrustedExit, string untrustedOut) = await RunCliAsync(cli, server.Address, trustFile: null);

        Assert.That(trustedExit, Is.Zero, trustedOut);
        Assert.That(trustedOut, Does.Contain(Generations.Key(0)).And.Contain(Generations.Key(1)));
        Assert.That(untrustedExit, Is.Not.Zero, "the CLI must not talk to a server it does not trust");
        TestContext.Out.WriteLine($"untrusted: exit {untrustedExit}: {untrustedOut.Trim()}");
    }

    private async Task<TestFlagServer> StartTlsServerAsync() => await TestFlagServer.StartAsync(new Dictionary<string, string?>
    {
        ["FlagKit:Server:CertificatePath"] = _pfxPath,
        ["FlagKit:Server:CertificatePassword"] = Password,
    });

    private SocketsHttpHandler TrustingHandler() => new()
    {
        EnableMultipleHttp2Connections = true,
        SslOptions = new SslClientAuthenticationOptions
        {
            // Trust exactly the test's certificate (pinning), whatever the machine's roots say.
            RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate is not null && certificate.GetCertHashString() == _certificate.GetCertHashString(),
        },
    };

    private GrpcChannel TrustingChannel(Uri address) => GrpcChannel.ForAddress(address, new GrpcChannelOptions { HttpHandler = TrustingHandler() });

    private static async Task<(int Exit, string Output)> RunCliAsync(string cli, Uri server, string? trustFile)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(cli)!,
        };
        foreach (string arg in new[] { cli, "list", "--url", server.ToString(), "--key", TestFlagServer.AdminKey, "--env", TestFlagServer.Environment })
        {
            start.ArgumentList.Add(arg);
        }

        if (trustFile is not null)
        {
            // OpenSSL's (and so .NET's, on Linux) trust store override: how an operator trusts a private CA.
            start.Environment["SSL_CERT_FILE"] = trustFile;
        }

        using var process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(90));
        return (process.ExitCode, await stdout + await stderr);
    }
}
