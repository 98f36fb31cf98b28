using FlagKit.Protocol.V1;
using FlagKit.Server.Auth;
using FlagKit.Server.Configuration;
using FlagKit.Server.Diagnostics;
using FlagKit.Server.Writes;
using Microsoft.Extensions.Options;

namespace FlagKit.Server.Hosting;

/// <summary>
/// What happens before the server accepts calls: load every environment, create the default environment on a fresh
/// data file, make sure configured (bootstrap) keys exist, and on first start create an admin key and an SDK key and
/// print them once.
/// </summary>
internal sealed class ServerBootstrap
{
    private readonly EnvironmentCatalog _catalog;
    private readonly ApiKeyRegistry _keys;
    private readonly FlagServerOptions _options;
    private readonly TextWriter _console;
    private readonly ILogger<ServerBootstrap> _logger;

    /// <summary>Creates the bootstrap step.</summary>
    /// <param name="catalog">Environments.</param>
    /// <param name="keys">API keys.</param>
    /// <param name="options">Server options.</param>
    /// <param name="logger">Logger (never given a secret).</param>
    public ServerBootstrap(EnvironmentCatalog catalog, ApiKeyRegistry keys, IOptions<FlagServerOptions> options, ILogger<ServerBootstrap> logger)
    {
        _catalog = catalog;
        _keys = keys;
        _options = options.Value;
        _console = Console.Out;
        _logger = logger;
    }

    /// <summary>Runs the steps; throws (the server does not start) when the configuration contradicts the data file.</summary>
    public void Run()
    {
        _catalog.Load();
        var firstStart = _keys.IsEmpty;
        if (_catalog.All.Count == 0)
        {
            Create(_options.DefaultEnvironment);
        }

        foreach (var (environment, secret) in _options.BootstrapSdkKeys.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            if (!_catalog.Exists(environment))
            {
                Create(environment);
            }

            if (_keys.Ensure(secret, $"bootstrap sdk ({environment})", ApiKeyRole.Sdk, environment))
            {
                ServerLog.BootstrapSdkKeyStored(_logger, environment);
            }
        }

        if (_options.BootstrapAdminKey is { } admin && _keys.Ensure(admin, "bootstrap admin", ApiKeyRole.Admin, null))
        {
            ServerLog.BootstrapAdminKeyStored(_logger);
        }

        if (!firstStart)
        {
            return;
        }

        var printed = new List<(string What, string Id, string Secret)>();
        if (_options.BootstrapAdminKey is null)
        {
            var (key, secret) = _keys.Create("initial admin", ApiKeyRole.Admin, null, "bootstrap");
            printed.Add(("admin key", key.Id, secret));
        }

        var environmentName = _catalog.Exists(_options.DefaultEnvironment) ? _options.DefaultEnvironment : _catalog.All[0].Name;
        if (!_options.BootstrapSdkKeys.ContainsKey(environmentName))
        {
            var (key, secret) = _keys.Create($"initial sdk ({environmentName})", ApiKeyRole.Sdk, environmentName, "bootstrap");
            printed.Add(($"SDK key for '{environmentName}'", key.Id, secret));
        }

        if (printed.Count > 0)
        {
            // The one time these secrets exist outside a hash: straight to stdout, never to a log sink.
            _console.WriteLine();
            _console.WriteLine("==================================================================================");
            _console.WriteLine(" FlagKit server: first start. These keys are shown ONCE; only their hashes are kept.");
            foreach (var (what, id, secret) in printed)
            {
                _console.WriteLine($"   {what,-28} {secret}   (id {id})");
            }

            _console.WriteLine(" Store them in your secret manager now. Create more with the admin API / flagkit CLI.");
            _console.WriteLine("==================================================================================");
            _console.WriteLine();
        }
    }

    private void Create(string environment)
    {
        try
        {
            _catalog.CreateAsync(environment, "bootstrap", "created on first start", CancellationToken.None).GetAwaiter().GetResult();
        }
        catch (WriteRefusedException e) when (e.Refusal == WriteRefusal.AlreadyExists)
        {
            // Another replica starting on the same database created it first; this one has learnt it.
        }
    }
}
