using System.Threading.Channels;

namespace Mero.Node.Replication;

/// <summary>A message received on a subscribed topic, with the peer that forwarded it.</summary>
public sealed record TopicMessage(string Topic, string From, ReadOnlyMemory<byte> Payload);

/// <summary>Answers one request of a protocol; returns the response bytes.</summary>
public delegate Task<byte[]> RequestHandler(string fromPeer, ReadOnlyMemory<byte> request, CancellationToken ct);

/// <summary>Raised when a request cannot reach its peer or the peer fails to answer.</summary>
public sealed class PeerUnreachableException(string peer, string reason) : Exception($"peer {peer}: {reason}")
{
    public string Peer { get; } = peer;
}

/// <summary>
/// What replication needs from the network: topics (gossip) and request/response streams. The
/// libp2p swarm implements it in production; <see cref="Simulation.SimulatedNetwork"/> implements
/// it in one process with seeded loss, delay, reordering and partitions for deterministic tests.
/// </summary>
public interface IReplicationTransport
{
    string LocalPeer { get; }

    /// <summary>Every message on every subscribed topic, in arrival order.</summary>
    ChannelReader<TopicMessage> Messages { get; }

    ValueTask SubscribeAsync(string topic, CancellationToken ct);

    ValueTask UnsubscribeAsync(string topic, CancellationToken ct);

    /// <summary>Best effort: delivery is never guaranteed, which is why sync exists.</summary>
    ValueTask PublishAsync(string topic, ReadOnlyMemory<byte> payload, CancellationToken ct);

    /// <summary>Peers currently known to be subscribed to <paramref name="topic"/>.</summary>
    Task<IReadOnlyList<string>> TopicPeersAsync(string topic, CancellationToken ct);

    void SetRequestHandler(string protocol, RequestHandler handler);

    /// <summary>Sends one request and awaits its response; throws <see cref="PeerUnreachableException"/>.</summary>
    Task<byte[]> RequestAsync(string peer, string protocol, ReadOnlyMemory<byte> request, CancellationToken ct);
}
