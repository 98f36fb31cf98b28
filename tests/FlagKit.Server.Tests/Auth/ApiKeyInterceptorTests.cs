using FlagKit.Protocol.V1;
using Grpc.Core;
using Grpc.Health.V1;

namespace FlagKit.Server.Tests.Auth;

public sealed class ApiKeyInterceptorTests
{
    private TestFlagServer _server = null!;

    [SetUp]
    public async Task StartServer() => _server = await TestFlagServer.StartAsync();

    [TearDown]
    public async Task StopServer() => await _server.DisposeAsync();

    [Test]
    public void AdminCall_MissingKey_Unauthenticated()
    {
        var error = Assert.ThrowsAsync<RpcException>(async () => await _server.CreateAdminClient(null).ListEnvironmentsAsync(new ListEnvironmentsRequest()));

        Assert.That(error!.StatusCode, Is.EqualTo(StatusCode.Unauthenticated));
        Assert.That(error.Status.Detail, Does.Contain("authorization: Bearer"));
    }

    [Test]
    public void AdminCall_WrongKey_Unauthenticated()
    {
        var error = Assert.ThrowsAsync<RpcException>(async () => await _server.CreateAdminClient("fk_admin_not_a_real_key_000000000000").ListEnvironmentsAsync(new ListEnvironmentsRequest()));

        Assert.That(error!.StatusCode, Is.EqualTo(StatusCode.Unauthenticated));
        Assert.That(error.Status.Detail, Does.Not.Contain("fk_admin_not_a_real_key"));
    }

    [Test]
    public void AdminCall_SdkKey_PermissionDenied()
    {
        var error = Assert.ThrowsAsync<RpcException>(async () => await _server.CreateAdminClient(TestFlagServer.SdkKey).ListEnvironmentsAsync(new ListEnvironmentsRequest()));

        Assert.That(error!.StatusCode, Is.EqualTo(StatusCode.PermissionDenied));
    }

    [Test]
    public async Task Sync_MissingKey_Unauthenticated()
    {
        using var stream = await SyncStream.OpenAsync(_server.CreateSyncClient(null));

        var error = Assert.ThrowsAsync<RpcException>(async () => await stream.ReadAsync());

        Assert.That(error!.StatusCode, Is.EqualTo(StatusCode.Unauthenticated));
    }

    [Test]
    public async Task Sync_SdkKeyOfAnotherEnvironment_PermissionDenied()
    {
        await _server.Admin.CreateEnvironmentAsync(new CreateEnvironmentRequest { Name = "staging" });

        using var stream = await SyncStream.OpenAsync(_server.CreateSyncClient(), environment: "staging");
        var error = Assert.ThrowsAsync<RpcException>(async () => await stream.ReadAsync());

        Assert.That(error!.StatusCode, Is.EqualTo(StatusCode.PermissionDenied));
        Assert.That(error.Status.Detail, Does.Contain("'production'").And.Contain("'staging'"));
    }

    [Test]
    public async Task Sync_KeyRevokedWhileStreaming_StreamEndsUnauthenticated()
    {
        var created = await _server.Admin.CreateApiKeyAsync(new CreateApiKeyRequest { Name = "short-lived", Role = ApiKeyRole.Sdk, Environment = TestFlagServer.Environment });
        using var stream = await SyncStream.OpenAsync(_server.CreateSyncClient(created.Secret));
        await stream.ReadWelcomeAndFirstBatchAsync();

        await _server.Admin.RevokeApiKeyAsync(new RevokeApiKeyRequest { Id = created.Key.Id });
        var error = Assert.ThrowsAsync<RpcException>(async () => await stream.ReadSkippingHeartbeatsAsync());

        Assert.That(error!.StatusCode, Is.EqualTo(StatusCode.Unauthenticated));
        using var again = await SyncStream.OpenAsync(_server.CreateSyncClient(created.Secret));
        var refused = Assert.ThrowsAsync<RpcException>(async () => await again.ReadAsync());
        Assert.That(refused!.StatusCode, Is.EqualTo(StatusCode.Unauthenticated));
    }

    [Test]
    public async Task HealthCheck_NoKey_Serving()
    {
        var health = new Health.HealthClient(_server.Channel);

        var response = await health.CheckAsync(new HealthCheckRequest());

        Assert.That(response.Status, Is.EqualTo(HealthCheckResponse.Types.ServingStatus.Serving));
    }

    [Test]
    public async Task Healthz_PlainHttp_Healthy()
    {
        using var http = new HttpClient { DefaultRequestVersion = System.Net.HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };

        var body = await http.GetStringAsync(new Uri(_server.Address, "/healthz"));

        Assert.That(body, Is.EqualTo("Healthy"));
    }
}
