using System.Collections.Concurrent;
using System.Threading.Channels;
using Mero.Network.Multiformats;
using Mero.Network.Node;
using Mero.Network.RequestResponse;
using Mero.Node.Replication;

namespace Mero.Node.Network;

/// <summary>
/// Replication over the node's libp2p swarm: topics are gossipsub topics, requests are
/// request/response streams. One pump per subscription copies gossip into the shared inbox.
/// </summary>
public sealed class Libp2pReplicationTransport : IReplicationTransport, IAsyncDisposable
{
    private readonly Libp2pNode _node;
    private readonly RequestResponseOptions _requestOptions;
    private readonly Channel<TopicMessage> _inbox = Channel.CreateBounded<TopicMessage>(new BoundedChannelOptions(4096) { SingleReader = true, FullMode = BoundedChannelFullMode.DropOldest });
    private readonly ConcurrentDictionary<string, (CancellationTokenSource Stop, Task Pump)> _subscriptions = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, RequestResponseProtocol> _protocols = new(StringComparer.Ordinal);

    public Libp2pReplicationTransport(Libp2pNode node, RequestResponseOptions? requestOptions = null)
    {
        _node = node;
        _requestOptions = requestOptions ?? new RequestResponseOptions { MaxRequestSize = 1024 * 1024, MaxResponseSize = 64 * 1024 * 1024 };
    }

    public string LocalPeer => _node.PeerId.ToString();

    /// <summary>Bounded: when replication falls behind, the oldest gossip goes first; sync repairs what it missed.</summary>
    public ChannelReader<TopicMessage> Messages => _inbox.Reader;

    public async ValueTask SubscribeAsync(string topic, CancellationToken ct)
    {
        if (_subscriptions.ContainsKey(topic))
        {
            return;
        }

        var reader = await _node.Gossipsub.SubscribeAsync(topic, ct).ConfigureAwait(false);
        var stop = new CancellationTokenSource();
        if (!_subscriptions.TryAdd(topic, (stop, PumpAsync(topic, reader, stop.Token))))
        {
            // A concurrent subscribe won; its pump already delivers this topic.
            await stop.CancelAsync().ConfigureAwait(false);
            stop.Dispose();
        }
    }

    public async ValueTask UnsubscribeAsync(string topic, CancellationToken ct)
    {
        if (_subscriptions.TryRemove(topic, out var subscription))
        {
            await subscription.Stop.CancelAsync().ConfigureAwait(false);
            subscription.Stop.Dispose();
            await _node.Gossipsub.UnsubscribeAsync(topic, ct).ConfigureAwait(false);
        }
    }

    public async ValueTask PublishAsync(string topic, ReadOnlyMemory<byte> payload, CancellationToken ct) =>
        await _node.Gossipsub.PublishAsync(topic, payload, ct).ConfigureAwait(false);

    public async Task<IReadOnlyList<string>> TopicPeersAsync(string topic, CancellationToken ct) =>
        [.. (await _node.Gossipsub.TopicPeersAsync(topic, ct).ConfigureAwait(false)).Select(p => p.ToString())];

    public void SetRequestHandler(string protocol, Replication.RequestHandler handler) =>
        Protocol(protocol).Serve((peer, request, ct) => handler(peer.ToString(), request, ct));

    public async Task<byte[]> RequestAsync(string peer, string protocol, ReadOnlyMemory<byte> request, CancellationToken ct)
    {
        if (!PeerId.TryParse(peer, out var peerId))
        {
            throw new PeerUnreachableException(peer, "not a peer id");
        }

        try
        {
            return await Protocol(protocol).RequestAsync(peerId, request, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or TimeoutException or InvalidDataException)
        {
            throw new PeerUnreachableException(peer, ex.Message);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var topic in _subscriptions.Keys.ToList())
        {
            if (_subscriptions.TryRemove(topic, out var subscription))
            {
                await subscription.Stop.CancelAsync().ConfigureAwait(false);
                subscription.Stop.Dispose();
            }
        }

        _inbox.Writer.TryComplete();
    }

    private RequestResponseProtocol Protocol(string protocol) =>
        _protocols.GetOrAdd(protocol, p => _node.AddRequestResponse(p, _requestOptions));

    private async Task PumpAsync(string topic, ChannelReader<Mero.Network.Pubsub.GossipMessage> reader, CancellationToken ct)
    {
        try
        {
            await foreach (var message in reader.ReadAllAsync(ct).ConfigureAwait(false))
            {
                var from = (message.ReceivedFrom ?? message.From).ToString();
                _inbox.Writer.TryWrite(new TopicMessage(topic, from, message.Data));
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }
}
