using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using FlagKit.Protocol.V1;

namespace FlagKit.Server.Tests.Hosting;

public sealed partial class FlagServerAppTests
{
    [Test]
    public async Task Build_NoConfiguredKeys_PrintsWorkingKeysOnceOnFirstStart()
    {
        var original = Console.Out;
        var output = new StringWriter();
        Console.SetOut(output);
        TestFlagServer server;
        try
        {
            server = await TestFlagServer.StartAsync(new Dictionary<string, string?>
            {
                ["FlagKit:Server:BootstrapAdminKey"] = null,
                ["FlagKit:Server:BootstrapSdkKeys:production"] = null,
            });
        }
        finally
        {
            Console.SetOut(original);
        }

        await using (server)
        {
            var printed = output.ToString();
            var admin = AdminKey().Match(printed).Value;
            var sdk = SdkKey().Match(printed).Value;
            Assert.That(printed, Does.Contain("shown ONCE"));
            var environments = await server.CreateAdminClient(admin).ListEnvironmentsAsync(new ListEnvironmentsRequest());
            Assert.That(environments.Environments.Select(e => e.Name), Is.EqualTo(new[] { "production" }));
            using var stream = await SyncStream.OpenAsync(server.CreateSyncClient(sdk));
            var (welcome, _) = await stream.ReadWelcomeAndFirstBatchAsync();
            Assert.That(welcome.Environment, Is.EqualTo("production"));
            stream.Dispose();

            var again = new StringWriter();
            Console.SetOut(again);
            try
            {
                await server.RestartAsync();
            }
            finally
            {
                Console.SetOut(original);
            }

            Assert.That(again.ToString(), Does.Not.Contain("fk_admin_"));
        }
    }

    [Test]
    public async Task Build_CertificateConfigured_ServesGrpcOverTls()
    {
        var dir = Directory.CreateTempSubdirectory("flagkit-tls-");
        try
        {
            var pfx = Path.Combine(dir.FullName, "server.pfx");
            using (var key = RSA.Create(2048))
            {
                var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
                var san = new SubjectAlternativeNameBuilder();
                san.AddIpAddress(System.Net.IPAddress.Loopback);
                request.CertificateExtensions.Add(san.Build());
                using var cert = request.CreateSelfSigned(DateTimeOffset.UnixEpoch, new DateTimeOffset(2100, 1, 1, 0, 0, 0, TimeSpan.Zero));
                await File.WriteAllBytesAsync(pfx, cert.Export(X509ContentType.Pfx, "secret"));
            }

            await using var server = await TestFlagServer.StartAsync(new Dictionary<string, string?>
            {
                ["FlagKit:Server:CertificatePath"] = pfx,
                ["FlagKit:Server:CertificatePassword"] = "secret",
            });

            Assert.That(server.Address.Scheme, Is.EqualTo("https"));
            var environments = await server.Admin.ListEnvironmentsAsync(new ListEnvironmentsRequest());
            Assert.That(environments.Environments, Has.Count.EqualTo(1));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [TestCase("FlagKit:Server:Port", "70000", "Port")]
    [TestCase("FlagKit:Server:SubscriberQueueCapacity", "1", "SubscriberQueueCapacity")]
    [TestCase("FlagKit:Server:BootstrapAdminKey", "short", "BootstrapAdminKey")]
    [TestCase("FlagKit:Server:Host", "not-an-ip", "Host")]
    public void Build_InvalidSetting_RefusedNamingTheSetting(string key, string value, string named)
    {
        var error = Assert.ThrowsAsync<InvalidOperationException>(async () =>
            await TestFlagServer.StartAsync(new Dictionary<string, string?> { [key] = value }));

        Assert.That(error!.Message, Does.Contain("FlagKit:Server:" + named));
    }

    [GeneratedRegex("fk_admin_[A-Za-z0-9_-]{43}")]
    private static partial Regex AdminKey();

    [GeneratedRegex("fk_sdk_[A-Za-z0-9_-]{43}")]
    private static partial Regex SdkKey();
}
