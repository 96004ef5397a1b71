using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace Mero.Node.Replication;

/// <summary>
/// Splits the transport's single inbox by topic prefix (<c>context/</c>, <c>ns/</c>, <c>group/</c>)
/// so each consumer reads its own bounded channel and a slow consumer cannot stall another.
/// </summary>
public sealed partial class TopicRouter : IAsyncDisposable
{
    private readonly IReplicationTransport _transport;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, Channel<TopicMessage>> _routes = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _pump;

    public TopicRouter(IReplicationTransport transport, ILogger logger)
    {
        _transport = transport;
        _logger = logger;
        _pump = Task.Run(() => PumpAsync(_stop.Token));
    }

    public IReplicationTransport Transport => _transport;

    /// <summary>
    /// Messages whose topic starts with <paramref name="prefix"/>. One reader per prefix; when it
    /// falls behind the oldest message goes first (sync repairs what gossip dropped).
    /// </summary>
    public ChannelReader<TopicMessage> Route(string prefix, int capacity = 4096)
    {
        var channel = Channel.CreateBounded<TopicMessage>(new BoundedChannelOptions(capacity) { SingleReader = true, FullMode = BoundedChannelFullMode.DropOldest });
        return _routes.TryAdd(prefix, channel)
            ? channel.Reader
            : throw new InvalidOperationException($"topic prefix '{prefix}' already has a reader");
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _pump.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        foreach (var channel in _routes.Values)
        {
            channel.Writer.TryComplete();
        }

        _stop.Dispose();
    }

    private async Task PumpAsync(CancellationToken ct)
    {
        try
        {
            await foreach (var message in _transport.Messages.ReadAllAsync(ct).ConfigureAwait(false))
            {
                var routed = false;
                foreach (var (prefix, channel) in _routes)
                {
                    if (message.Topic.StartsWith(prefix, StringComparison.Ordinal))
                    {
                        channel.Writer.TryWrite(message);
                        routed = true;
                        break;
                    }
                }

                if (!routed)
                {
                    LogUnrouted(_logger, message.Topic);
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        finally
        {
            foreach (var channel in _routes.Values)
            {
                channel.Writer.TryComplete();
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "dropped a message on {Topic}: no consumer for its prefix")]
    private static partial void LogUnrouted(ILogger logger, string topic);
}
