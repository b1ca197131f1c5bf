using System.Collections;
using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace ModeRefresh.TestSupport;

/// <summary>
/// Collects every log line an app under test writes (add it with <c>logging.AddProvider</c>), so tests can check
/// what an operator would read. Enumerating it gives the lines so far, in order.
/// </summary>
public sealed class TestLogs : ILoggerProvider, IEnumerable<LogLine>
{
    private readonly ConcurrentQueue<LogLine> _lines = new();

    public IReadOnlyList<LogLine> Lines => [.. _lines];

    /// <summary>Whether a line at <paramref name="level"/> has <paramref name="text"/> in its message.</summary>
    public bool Contains(LogLevel level, string text) =>
        _lines.Any(l => l.Level == level && l.Message.Contains(text, StringComparison.Ordinal));

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _lines);

    public IEnumerator<LogLine> GetEnumerator() => _lines.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

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

/// <summary>One captured log line: its formatted message, and the exception logged with it.</summary>
public sealed record LogLine(LogLevel Level, string Category, string Message, Exception? Exception)
{
    /// <summary>All an operator would read: the message, then the exception as a console logger writes it.</summary>
    public string Text => Exception is null ? Message : Message + " " + Exception;
}
