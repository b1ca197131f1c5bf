using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace ModeRefresh.Refresh.Tests.Support;

/// <summary>Collects every log line the app writes, so tests can check what an operator would read.</summary>
internal sealed class TestLogs : ILoggerProvider
{
    private readonly ConcurrentQueue<LogLine> _lines = new();

    public IReadOnlyList<LogLine> Lines => [.. _lines];

    public bool Contains(LogLevel level, string text) =>
        _lines.Any(l => l.Level == level && l.Message.Contains(text, StringComparison.Ordinal));

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _lines);

    public void Dispose()
    {
    }

    private sealed class Logger(string category, ConcurrentQueue<LogLine> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            lines.Enqueue(new LogLine(logLevel, category, formatter(state, exception), exception));
    }
}

internal sealed record LogLine(LogLevel Level, string Category, string Message, Exception? Exception);
