using System.Collections.Concurrent;
using System.Security.Cryptography;
using FlagKit.Protocol.V1;
using FlagKit.Server.Store;

namespace FlagKit.Server.Auth;

/// <summary>
/// The live API keys, by hash, loaded from the store at start and kept in step with it. Authenticating a call is a
/// dictionary lookup on the secret's SHA-256 followed by a constant-time comparison; no secret is kept in memory.
/// </summary>
/// <remarks>
/// Each live key carries a revocation token, handed to every call the key authenticates: revoking the key cancels it,
/// so whatever a call is doing (waiting for its Hello, subscribed, writing) it learns at once, not only the calls some
/// other list happens to know of.
/// </remarks>
/// <remarks>Thread safety: all members are safe to call concurrently.</remarks>
internal sealed class ApiKeyRegistry
{
    private readonly IApiKeyStore _db;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, LiveKey> _byHash = new(StringComparer.Ordinal);
    private readonly Lock _changeLock = new();

    /// <summary>Loads the live keys.</summary>
    /// <param name="db">The store.</param>
    /// <param name="time">The clock.</param>
    public ApiKeyRegistry(IApiKeyStore db, TimeProvider time)
    {
        _db = db;
        _time = time;
        foreach (var key in db.LoadApiKeys())
        {
            if (key.RevokedAt is null)
            {
                _byHash[Convert.ToHexString(key.Hash)] = new LiveKey(Shown(key));
            }
        }
    }

    /// <summary>Whether any live key exists (false on a fresh data file).</summary>
    public bool IsEmpty => _byHash.IsEmpty;

    /// <summary>Finds the live key for a presented secret.</summary>
    /// <param name="secret">The presented secret.</param>
    /// <param name="key">The key, when found.</param>
    /// <returns>True when the secret belongs to a live key.</returns>
    /// <remarks>Never throws.</remarks>
    public bool TryAuthenticate(string secret, out ApiKeyRecord key) => TryAuthenticate(secret, out key, out _);

    /// <summary>Finds the live key for a presented secret, with the token its revocation cancels.</summary>
    /// <param name="secret">The presented secret.</param>
    /// <param name="key">The key, when found.</param>
    /// <param name="revoked">Cancelled when the key is revoked (already cancelled if that happened since the lookup).</param>
    /// <returns>True when the secret belongs to a live key.</returns>
    /// <remarks>Never throws.</remarks>
    public bool TryAuthenticate(string secret, out ApiKeyRecord key, out CancellationToken revoked)
    {
        var hash = ApiKeySecret.Hash(secret);
        if (_byHash.TryGetValue(Convert.ToHexString(hash), out var found) && CryptographicOperations.FixedTimeEquals(found.Record.Hash, hash))
        {
            key = found.Record;
            revoked = found.Revoked;
            return true;
        }

        key = null!;
        revoked = default;
        return false;
    }

    /// <summary>The live key with a public id (the console checks its session's key on every request).</summary>
    /// <param name="id">The key id.</param>
    /// <returns>The key, or null when no live key has that id (revoked or unknown).</returns>
    public ApiKeyRecord? FindLive(string id) => _byHash.Values.FirstOrDefault(k => k.Record.Id == id)?.Record;

    /// <summary>Every key, revoked ones included, oldest first.</summary>
    /// <returns>The keys (hashes only; prefixes shortened to what may be shown).</returns>
    public IReadOnlyList<ApiKeyRecord> List() => _db.LoadApiKeys().Select(Shown).ToList();

    /// <summary>Creates a key with a fresh secret.</summary>
    /// <param name="name">Human name.</param>
    /// <param name="role">SDK or admin.</param>
    /// <param name="environment">For SDK keys, the environment it reads.</param>
    /// <param name="actor">Who creates it (audit).</param>
    /// <returns>The stored key and its secret (the only time the secret exists outside the caller).</returns>
    public (ApiKeyRecord Key, string Secret) Create(string name, ApiKeyRole role, string? environment, string actor)
    {
        var secret = ApiKeySecret.Generate(role);
        return (Insert(secret, name, role, environment, actor), secret);
    }

    /// <summary>Makes sure a configured (bootstrap) secret is a live key; creates it when its hash is not stored.</summary>
    /// <param name="secret">The configured secret.</param>
    /// <param name="name">Name to give it when created.</param>
    /// <param name="role">SDK or admin.</param>
    /// <param name="environment">For SDK keys, the environment.</param>
    /// <returns>True when the key was created now.</returns>
    /// <exception cref="InvalidOperationException">The secret belongs to a key with another role or environment, or was revoked.</exception>
    public bool Ensure(string secret, string name, ApiKeyRole role, string? environment)
    {
        var hash = ApiKeySecret.Hash(secret);
        var existing = _db.LoadApiKeys().FirstOrDefault(k => CryptographicOperations.FixedTimeEquals(k.Hash, hash));
        if (existing is not null)
        {
            if (existing.RevokedAt is not null)
            {
                throw new InvalidOperationException($"The configured bootstrap key '{name}' was revoked (key id {existing.Id}); configure another.");
            }

            if (existing.Role != role || !string.Equals(existing.Environment, environment, StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"The configured bootstrap key '{name}' is already stored with another role or environment (key id {existing.Id}).");
            }

            return false;
        }

        try
        {
            Insert(secret, name, role, environment, "bootstrap");
        }
        catch (System.Data.Common.DbException) when (_db.LoadApiKeys().Any(k => CryptographicOperations.FixedTimeEquals(k.Hash, hash)))
        {
            // Another replica starting with the same configuration stored it first.
            Refresh();
            return false;
        }

        return true;
    }

    /// <summary>
    /// Brings the live keys in step with the store (replicas: keys created or revoked on another replica). A key
    /// revoked there stops authenticating here and every call it authenticated is told, as with <see cref="Revoke"/>.
    /// </summary>
    /// <returns>The ids of the keys revoked since the last look (their streams are to be ended).</returns>
    public IReadOnlyList<string> Refresh()
    {
        var revoked = new List<LiveKey>();
        lock (_changeLock)
        {
            foreach (var key in _db.LoadApiKeys())
            {
                var hash = Convert.ToHexString(key.Hash);
                if (key.RevokedAt is null)
                {
                    _byHash.TryAdd(hash, new LiveKey(Shown(key)));
                }
                else if (_byHash.TryRemove(hash, out var live))
                {
                    revoked.Add(live);
                }
            }
        }

        foreach (var live in revoked)
        {
            live.Revoke();
        }

        return revoked.Select(k => k.Record.Id).ToList();
    }

    /// <summary>Revokes a key: it stops authenticating at once, and every call it authenticated is told (its token is cancelled).</summary>
    /// <param name="id">The key id.</param>
    /// <param name="actor">Who revokes it (audit).</param>
    /// <returns>The revoked key, or null when no live key has that id.</returns>
    /// <exception cref="InvalidOperationException">It is the last live admin key (revoking it would lock everyone out).</exception>
    public ApiKeyRecord? Revoke(string id, string actor)
    {
        if (!_byHash.Values.Any(k => k.Record.Id == id))
        {
            // Replicas: a key created on another replica and not learnt here yet.
            Refresh();
        }

        LiveKey revoked;
        DateTimeOffset now;
        lock (_changeLock)
        {
            var live = _byHash.FirstOrDefault(p => p.Value.Record.Id == id);
            if (live.Value is null)
            {
                return null;
            }

            var record = live.Value.Record;
            if (record.Role == ApiKeyRole.Admin && _byHash.Values.Count(k => k.Record.Role == ApiKeyRole.Admin) == 1)
            {
                throw new InvalidOperationException($"Key {id} is the last live admin key; create another admin key before revoking it.");
            }

            now = _time.GetUtcNow();
            var audit = new AuditRecord(0, now, actor, "RevokeApiKey", record.Environment ?? "", id, 0, $"revoked {RoleName(record.Role)} key '{record.Name}'");
            if (!_db.RevokeApiKey(id, audit))
            {
                return null;
            }

            _byHash.TryRemove(live.Key, out _);
            revoked = live.Value;
        }

        // Outside the lock: the calls' callbacks (ending their streams) must not run under it.
        revoked.Revoke();
        return revoked.Record with { RevokedAt = now };
    }

    private ApiKeyRecord Insert(string secret, string name, ApiKeyRole role, string? environment, string actor)
    {
        lock (_changeLock)
        {
            var now = _time.GetUtcNow();
            var key = new ApiKeyRecord(ApiKeySecret.NewId(), name, role, environment, ApiKeySecret.Hash(secret), ApiKeySecret.Prefix(secret), now, null);
            var audit = new AuditRecord(0, now, actor, "CreateApiKey", environment ?? "", key.Id, 0, $"created {RoleName(role)} key '{name}'");
            _db.InsertApiKey(key, audit);
            _byHash[Convert.ToHexString(key.Hash)] = new LiveKey(key);
            return key;
        }
    }

    private static string RoleName(ApiKeyRole role) => role switch { ApiKeyRole.Admin => "admin", ApiKeyRole.Viewer => "viewer", _ => "sdk" };

    /// <summary>A key stored by an older server may carry a longer prefix: show only what <see cref="ApiKeySecret.Prefix"/> keeps.</summary>
    private static ApiKeyRecord Shown(ApiKeyRecord key) => key with { Prefix = ApiKeySecret.Prefix(key.Prefix) };

    /// <summary>A live key and the token its revocation cancels (never disposed: calls may still hold the token).</summary>
    private sealed class LiveKey(ApiKeyRecord record)
    {
        private readonly CancellationTokenSource _revoked = new();

        public ApiKeyRecord Record { get; } = record;

        public CancellationToken Revoked => _revoked.Token;

        public void Revoke() => _revoked.Cancel();
    }
}
