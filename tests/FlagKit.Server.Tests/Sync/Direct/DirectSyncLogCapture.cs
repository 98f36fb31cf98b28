using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace FlagKit.Server.Tests.Sync.Direct;

/// <summary>Keeps every log event of a test server (level, event id, message), for the direct path's tests.</summary>
internal sealed class DirectSyncLogCapture : ILoggerProvider, ILogger
{
    /// <summary>The events logged so far.</summary>
    public ConcurrentQueue<(LogLevel Level, int Id, string Message)> Events { get; } = new();

    /// <summary>The events at Error or above, as text.</summary>
    public IEnumerable<string> Errors => Events.Where(e => e.Level >= LogLevel.Error).Select(e => $"{e.Id}: {e.Message}");

    /// <inheritdoc />
    public ILogger CreateLogger(string categoryName) => this;

    /// <inheritdoc />
    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    /// <inheritdoc />
    public bool IsEnabled(LogLevel logLevel) => true;

    /// <inheritdoc />
    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        Events.Enqueue((logLevel, eventId.Id, formatter(state, exception) + (exception is null ? "" : " " + exception.GetType().Name + ": " + exception.Message)));

    /// <inheritdoc />
    public void Dispose()
    {
    }
}
