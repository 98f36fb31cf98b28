using System.Diagnostics;
using System.Globalization;

namespace FlagKit.LoadTests;

/// <summary>
/// <c>--child --server URL --clients K</c>: a child of <c>--processes N</c> playing K SDK clients (each its own
/// FlagClient, GrpcFlagSource and GrpcChannel over one shared HTTP/2 handler). Speaks <see cref="ChildProcess"/>'s lines.
/// </summary>
internal static class ClientsChild
{
    public static async Task<int> RunAsync(Uri server, int count)
    {
        ThreadPool.SetMinThreads(Math.Max(16, Environment.ProcessorCount * 4), Math.Max(16, Environment.ProcessorCount * 4));
        using var shared = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = true,
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            KeepAlivePingDelay = TimeSpan.FromSeconds(20),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(10),
        };
        var clients = new List<LoadClient>(count);
        while (clients.Count < count)
        {
            clients.Add(LoadClient.Start(server, ServerProcess.SdkKey, ServerProcess.Environment, shared));
            if (clients.Count % 100 == 0 || clients.Count == count)
            {
                await Until(() => clients.All(c => c.Client.Status == FlagClientStatus.Ready));
            }
        }

        foreach (LoadClient client in clients)
        {
            client.Reset();
        }

        Console.WriteLine("ready");
        while (Console.ReadLine() is { } command)
        {
            if (command.StartsWith("report ", StringComparison.Ordinal))
            {
                long final = long.Parse(command["report ".Length..], CultureInfo.InvariantCulture);
                await Until(() => clients.All(c => c.Applied.Any(a => a.Revision >= final)));
                foreach (LoadClient client in clients)
                {
                    foreach ((long revision, DateTimeOffset at) in client.Applied)
                    {
                        Console.WriteLine($"applied {revision.ToString(CultureInfo.InvariantCulture)} {at.UtcTicks.ToString(CultureInfo.InvariantCulture)}");
                    }
                }

                Console.WriteLine("end");
                break;
            }
        }

        foreach (LoadClient client in clients)
        {
            await client.DisposeAsync();
        }

        return 0;
    }

    private static async Task Until(Func<bool> condition)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > TimeSpan.FromMinutes(3))
            {
                throw new TimeoutException("the child's clients did not get there in 3 minutes");
            }

            await Task.Delay(20);
        }
    }
}
