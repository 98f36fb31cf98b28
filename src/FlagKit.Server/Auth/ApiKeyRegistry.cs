using System.Collections.Concurrent;
using System.Security.Cryptography;
using FlagKit.Protocol.V1;
using FlagKit.Server.Store;

namespace FlagKit.Server.Auth;

/// <summary>
/// The live API keys, by hash, loaded from the store at start and kept in step with it. Authenticating a call is a
/// dictionary lookup on the secret's SHA-256 followed by a constant-time comparison; no secret is kept in memory.
/// </summary>
/// <remarks>Thread safety: all members are safe to call concurrently.</remarks>
internal sealed class ApiKeyRegistry
{
    private readonly FlagDatabase _db;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, ApiKeyRecord> _byHash = new(StringComparer.Ordinal);
    private readonly Lock _changeLock = new();

    /// <summary>Loads the live keys.</summary>
    /// <param name="db">The store.</param>
    /// <param name="time">The clock.</param>
    public ApiKeyRegistry(FlagDatabase db, TimeProvider time)
    {
        _db = db;
        _time = time;
        foreach (var key in db.LoadApiKeys())
        {
            if (key.RevokedAt is null)
            {
                _byHash[Convert.ToHexString(key.Hash)] = key;
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
    public bool TryAuthenticate(string secret, out ApiKeyRecord key)
    {
        var hash = ApiKeySecret.Hash(secret);
        if (_byHash.TryGetValue(Convert.ToHexString(hash), out var found) && CryptographicOperations.FixedTimeEquals(found.Hash, hash))
        {
            key = found;
            return true;
        }

        key = null!;
        return false;
    }

    /// <summary>Every key, revoked ones included, oldest first.</summary>
    /// <returns>The keys (hashes only).</returns>
    public IReadOnlyList<ApiKeyRecord> List() => _db.LoadApiKeys();

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

        Insert(secret, name, role, environment, "bootstrap");
        return true;
    }

    /// <summary>Revokes a key: it stops authenticating at once.</summary>
    /// <param name="id">The key id.</param>
    /// <param name="actor">Who revokes it (audit).</param>
    /// <returns>The revoked key, or null when no live key has that id.</returns>
    /// <exception cref="InvalidOperationException">It is the last live admin key (revoking it would lock everyone out).</exception>
    public ApiKeyRecord? Revoke(string id, string actor)
    {
        lock (_changeLock)
        {
            var live = _byHash.FirstOrDefault(p => p.Value.Id == id);
            if (live.Value is null)
            {
                return null;
            }

            if (live.Value.Role == ApiKeyRole.Admin && _byHash.Values.Count(k => k.Role == ApiKeyRole.Admin) == 1)
            {
                throw new InvalidOperationException($"Key {id} is the last live admin key; create another admin key before revoking it.");
            }

            var now = _time.GetUtcNow();
            var audit = new AuditRecord(0, now, actor, "RevokeApiKey", live.Value.Environment ?? "", id, 0, $"revoked {RoleName(live.Value.Role)} key '{live.Value.Name}'");
            if (!_db.RevokeApiKey(id, audit))
            {
                return null;
            }

            _byHash.TryRemove(live.Key, out _);
            return live.Value with { RevokedAt = now };
        }
    }

    private ApiKeyRecord Insert(string secret, string name, ApiKeyRole role, string? environment, string actor)
    {
        lock (_changeLock)
        {
            var now = _time.GetUtcNow();
            var key = new ApiKeyRecord(ApiKeySecret.NewId(), name, role, environment, ApiKeySecret.Hash(secret), ApiKeySecret.Prefix(secret), now, null);
            var audit = new AuditRecord(0, now, actor, "CreateApiKey", environment ?? "", key.Id, 0, $"created {RoleName(role)} key '{name}'");
            _db.InsertApiKey(key, audit);
            _byHash[Convert.ToHexString(key.Hash)] = key;
            return key;
        }
    }

    private static string RoleName(ApiKeyRole role) => role == ApiKeyRole.Admin ? "admin" : "sdk";
}
