using System.Reflection;
using FlagKit.Server.Configuration;
using FlagKit.Server.Diagnostics;
using Microsoft.Extensions.Logging;

namespace FlagKit.Server.Tests.Hosting;

/// <summary>
/// Every [LoggerMessage] of FlagKit.Server has an event id and a name of its own, inside the server's range 3000-3999
/// (FlagKit has 1000-1999, FlagKit.Extensions.Hosting 2000-2999), so a log query by id or name finds exactly one event.
/// </summary>
public sealed class ServerLogEventIdTests
{
    private const int Low = 3000;
    private const int High = 3999;

    [Test]
    public void LoggerMessages_ServerAssembly_HaveUniqueEventIds()
    {
        var events = Events();
        var duplicates = events.GroupBy(e => e.Id).Where(g => g.Count() > 1).Select(g => $"{g.Key}: {string.Join(", ", g.Select(e => e.Method))}");

        Assert.That(events, Has.Count.GreaterThanOrEqualTo(22), "the reflection finds the log methods");
        Assert.That(duplicates, Is.Empty);
    }

    [Test]
    public void LoggerMessages_ServerAssembly_HaveUniqueEventNames()
    {
        var events = Events();
        var duplicates = events.GroupBy(e => e.Name).Where(g => g.Count() > 1).Select(g => $"{g.Key}: {string.Join(", ", g.Select(e => e.Method))}");

        Assert.That(events.Select(e => e.Name), Has.None.Null.And.None.Empty);
        Assert.That(duplicates, Is.Empty);
    }

    [Test]
    public void LoggerMessages_ServerAssembly_UseIdsInTheServerRange()
    {
        var outside = Events().Where(e => e.Id < Low || e.Id > High).Select(e => $"{e.Method} has id {e.Id}, outside {Low}-{High}");

        Assert.That(outside, Is.Empty);
    }

    [Test]
    public void CleartextOnNetwork_SectionPlaceholderTwice_WritesTheSectionInBothPlaces()
    {
        var logger = new CapturingLogger();

        ServerLog.CleartextOnNetwork(logger, "0.0.0.0", FlagServerOptions.SectionName, nameof(FlagServerOptions.AllowCleartextOnNetwork));

        var section = FlagServerOptions.SectionName;
        Assert.That(logger.Lines, Is.EqualTo(new[]
        {
            (ServerLogEvents.CleartextOnNetwork, LogLevel.Warning,
                $"INSECURE: the admin API and the sync stream serve cleartext (h2c) on 0.0.0.0, a non-loopback address: API keys and flags travel unencrypted. Set {section}:CertificatePath to serve TLS ({section}:AllowCleartextOnNetwork is set)."),
        }));
    }

    private static List<(int Id, string Name, string Method)> Events() =>
    [
        .. from type in typeof(ServerLog).Assembly.GetTypes()
           from method in type.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance | BindingFlags.DeclaredOnly)
           let attribute = method.GetCustomAttribute<LoggerMessageAttribute>()
           where attribute is not null
           select (attribute.EventId, attribute.EventName ?? method.Name, $"{type.Name}.{method.Name}"),
    ];

    private sealed class CapturingLogger : ILogger
    {
        public List<(int Id, LogLevel Level, string Message)> Lines { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Lines.Add((eventId.Id, logLevel, formatter(state, exception)));
    }
}
