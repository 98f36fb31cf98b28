namespace FlagKit.Server.Store;

/// <summary>
/// The durable store behind the server, whichever engine: <see cref="FlagDatabase"/> (one SQLite file, the default)
/// or <see cref="Postgres.PostgresFlagStore"/> (PostgreSQL, for several replicas). Both pass one contract test suite.
/// </summary>
/// <remarks>Thread safety: all members are safe to call concurrently.</remarks>
internal interface IFlagStore : IDocumentStore, IHistoryStore, IIdempotencyStore, IApiKeyStore, IChangeFeedStore, ILeaseStore, IReleaseStore, IScheduleStore, IFreezeStore, IModeStore, IReportRelayStore, IInstanceSummaryStore, IDisposable
{
    /// <summary>Where the data lives, for logs and errors (a file path, or a host and database; never a password).</summary>
    string Location { get; }

    /// <summary>The schema version recorded in the store.</summary>
    /// <returns>The highest applied migration.</returns>
    int ReadSchemaVersion();

    /// <summary>Checks that the store answers a query (for health checks).</summary>
    /// <returns>True when a read succeeded.</returns>
    bool Ping();
}
