using System.Collections.Concurrent;
using System.Threading.Channels;

namespace Mero.Node.Replication.Simulation;

/// <summary>One node's view of a <see cref="SimulatedNetwork"/>.</summary>
public sealed class SimulatedTransport : IReplicationTransport
{
    private readonly SimulatedNetwork _network;
    private readonly ConcurrentDictionary<string, byte> _topics = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, RequestHandler> _handlers = new(StringComparer.Ordinal);
    private readonly Channel<TopicMessage> _inbox = Channel.CreateUnbounded<TopicMessage>(new UnboundedChannelOptions { SingleReader = true });

    internal SimulatedTransport(SimulatedNetwork network, string peer)
    {
        _network = network;
        LocalPeer = peer;
    }

    public string LocalPeer { get; }

    public ChannelReader<TopicMessage> Messages => _inbox.Reader;

    public ValueTask SubscribeAsync(string topic, CancellationToken ct)
    {
        _topics.TryAdd(topic, 0);
        return ValueTask.CompletedTask;
    }

    public ValueTask UnsubscribeAsync(string topic, CancellationToken ct)
    {
        _topics.TryRemove(topic, out _);
        return ValueTask.CompletedTask;
    }

    public ValueTask PublishAsync(string topic, ReadOnlyMemory<byte> payload, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        _network.Publish(LocalPeer, topic, payload);
        return ValueTask.CompletedTask;
    }

    public Task<IReadOnlyList<string>> TopicPeersAsync(string topic, CancellationToken ct) => Task.FromResult(_network.Subscribers(topic, LocalPeer));

    public void SetRequestHandler(string protocol, RequestHandler handler) => _handlers[protocol] = handler;

    public Task<byte[]> RequestAsync(string peer, string protocol, ReadOnlyMemory<byte> request, CancellationToken ct) =>
        _network.RequestAsync(LocalPeer, peer, protocol, request, ct);

    internal bool IsSubscribed(string topic) => _topics.ContainsKey(topic);

    internal void Deliver(TopicMessage message)
    {
        if (IsSubscribed(message.Topic))
        {
            _inbox.Writer.TryWrite(message);
        }
    }

    internal Task<byte[]> HandleAsync(string from, string protocol, byte[] request, CancellationToken ct) =>
        _handlers.TryGetValue(protocol, out var handler)
            ? handler(from, request, ct)
            : throw new PeerUnreachableException(LocalPeer, $"does not speak {protocol}");

    internal void Close() => _inbox.Writer.TryComplete();
}
