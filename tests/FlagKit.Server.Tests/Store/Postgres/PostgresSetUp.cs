namespace FlagKit.Server.Tests.Store.Postgres;

/// <summary>One throwaway PostgreSQL cluster for every test in this namespace, started once per run.</summary>
[SetUpFixture]
public sealed class PostgresSetUp
{
    private static PostgresCluster? s_cluster;

    /// <summary>The running cluster (fails the tests, saying why, when it could not start).</summary>
    public static PostgresCluster Cluster => s_cluster ?? throw new InvalidOperationException("The PostgreSQL test cluster is not running.");

    [OneTimeSetUp]
    public void StartCluster()
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        s_cluster = PostgresCluster.Start();
        TestContext.Progress.WriteLine($"PostgreSQL test cluster on 127.0.0.1:{s_cluster.Port} started in {clock.ElapsedMilliseconds} ms");
    }

    [OneTimeTearDown]
    public void StopCluster()
    {
        s_cluster?.Dispose();
        s_cluster = null;
    }
}
