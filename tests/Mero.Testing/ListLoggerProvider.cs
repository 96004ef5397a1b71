using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Mero.Testing;

/// <summary>Keeps the last log lines of a test cluster in memory, so a failing assertion can show them.</summary>
public sealed class ListLoggerProvider(string prefix, ConcurrentQueue<string> sink, int capacity = 2000) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new Logger(prefix, categoryName[(categoryName.LastIndexOf('.') + 1)..], sink, capacity);

    public void Dispose()
    {
    }

    private sealed class Logger(string prefix, string category, ConcurrentQueue<string> sink, int capacity) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }

            sink.Enqueue($"{DateTime.UtcNow:HH:mm:ss.fff} {prefix} {logLevel} {category}: {formatter(state, exception)}");
            while (sink.Count > capacity && sink.TryDequeue(out _))
            {
            }
        }
    }
}
