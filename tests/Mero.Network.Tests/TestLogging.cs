using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace Mero.Network.Tests;

/// <summary>Captures every log entry (for asserting on drop reasons) and echoes them to the test output.</summary>
public sealed class TestLoggerFactory(ITestOutputHelper? output = null, string prefix = "") : ILoggerFactory
{
    public ConcurrentQueue<(LogLevel Level, string Category, string Message)> Entries { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    public bool Contains(LogLevel minimum, string fragment) =>
        Entries.Any(e => e.Level >= minimum && e.Message.Contains(fragment, StringComparison.OrdinalIgnoreCase));

    public async Task WaitForAsync(LogLevel minimum, string fragment, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!Contains(minimum, fragment))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"no log entry >= {minimum} containing '{fragment}'; got:\n{string.Join("\n", Entries.Select(e => $"{e.Level} {e.Message}"))}");
            }

            await Task.Delay(20);
        }
    }

    private sealed class Logger(TestLoggerFactory owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Debug;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var message = formatter(state, exception);
            owner.Entries.Enqueue((logLevel, category, message));
            try
            {
                owner._output?.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {owner._prefix}{logLevel} {category.Split('.')[^1]}: {message}{(exception is null ? "" : " " + exception)}");
            }
            catch (InvalidOperationException)
            {
                // the test already finished
            }
        }
    }

    private readonly ITestOutputHelper? _output = output;
    private readonly string _prefix = prefix;
}
