using Mero.Network.Host;
using Mero.Network.Kademlia;
using Mero.Network.Pubsub;

namespace Mero.Network.Node;

/// <summary>Everything a <see cref="Libp2pNode"/> runs: the host, gossipsub, Kademlia (optional).</summary>
public sealed record Libp2pNodeOptions
{
    public Libp2pHostOptions Host { get; init; } = new();

    public GossipsubOptions Gossipsub { get; init; } = GossipsubOptions.Calimero;

    /// <summary>Null disables the DHT.</summary>
    public KademliaOptions? Kademlia { get; init; } = new();

    /// <summary>Local-network discovery; null (the default, as upstream) keeps it off.</summary>
    public Mero.Network.Discovery.MdnsOptions? Mdns { get; init; }

    /// <summary>Seed for gossipsub's peer selection (tests); null: random.</summary>
    public int? Seed { get; init; }

    /// <summary>Upstream Calimero's composition: gossipsub preset (D 4, flood publish, 1 MiB), <c>/calimero/kad/1.0.0</c>.</summary>
    public static Libp2pNodeOptions Calimero(Libp2pHostOptions host, IReadOnlyList<Mero.Network.Multiformats.Multiaddr> bootNodes) => new()
    {
        Host = host,
        Gossipsub = GossipsubOptions.Calimero,
        Kademlia = new KademliaOptions { Protocol = KademliaOptions.CalimeroProtocol, BootNodes = bootNodes },
    };

    public void Validate()
    {
        Host.Validate();
        Gossipsub.Validate();
        Kademlia?.Validate();
        Mdns?.Validate();
    }
}
