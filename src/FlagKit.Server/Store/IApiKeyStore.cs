namespace FlagKit.Server.Store;

/// <summary>The store's API keys (hashes only) and their audit rows.</summary>
internal interface IApiKeyStore
{
    /// <summary>Every API key, revoked ones included.</summary>
    /// <returns>The keys, oldest first.</returns>
    IReadOnlyList<ApiKeyRecord> LoadApiKeys();

    /// <summary>Stores a new key and its audit row.</summary>
    /// <param name="key">The key (hash only).</param>
    /// <param name="audit">The audit row.</param>
    void InsertApiKey(ApiKeyRecord key, AuditRecord audit);

    /// <summary>Marks a key revoked (kept for the record) and writes its audit row.</summary>
    /// <param name="id">The key id.</param>
    /// <param name="audit">The audit row (its time is the revocation time).</param>
    /// <returns>True when a live key was revoked.</returns>
    bool RevokeApiKey(string id, AuditRecord audit);
}
