using Mero.Crypto;
using Mero.Network.Host;
using Mero.Network.Multiformats;
using Mero.Network.Pubsub;
using Mero.Network.RequestResponse;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Mero.Network.Node;

/// <summary>
/// A libp2p node as upstream runs it: one host (TCP, Noise, Yamux, identify, ping) with gossipsub,
/// Kademlia and request/response protocols on top. Handlers are registered before the host listens,
/// so the very first identify already announces <c>/meshsub/1.1.0</c> and the Kademlia id.
/// </summary>
public sealed class Libp2pNode : IAsyncDisposable
{
    /// <summary>Upstream's sync stream protocol.</summary>
    public const string SyncProtocol = "/calimero/stream/0.0.2";

    /// <summary>Upstream's blob transfer protocol.</summary>
    public const string BlobProtocol = "/calimero/blob/0.0.2";

    private readonly ILoggerFactory _loggerFactory;

    private Libp2pNode(Libp2pHost host, Gossipsub gossipsub, Kademlia.Kademlia? kademlia, Libp2pNodeOptions options, ILoggerFactory loggerFactory)
    {
        Host = host;
        Gossipsub = gossipsub;
        Kademlia = kademlia;
        Options = options;
        _loggerFactory = loggerFactory;
    }

    public Libp2pHost Host { get; }

    public Gossipsub Gossipsub { get; }

    /// <summary>Null unless the options enable mDNS.</summary>
    public Mero.Network.Discovery.MdnsDiscovery? Mdns { get; private set; }

    /// <summary>Null when the options disable the DHT.</summary>
    public Kademlia.Kademlia? Kademlia { get; }

    public Libp2pNodeOptions Options { get; }

    public PeerId PeerId => Host.PeerId;

    /// <summary>Builds and starts the node (the identity key is borrowed, not owned).</summary>
    public static async Task<Libp2pNode> StartAsync(Ed25519KeyPair identity, Libp2pNodeOptions options, ILoggerFactory? loggerFactory = null, TimeProvider? time = null, CancellationToken ct = default)
    {
        options.Validate();
        loggerFactory ??= NullLoggerFactory.Instance;
        var host = new Libp2pHost(identity, options.Host, loggerFactory);
        var gossipsub = new Gossipsub(host, identity, options.Gossipsub, time, loggerFactory, options.Seed);
        var kademlia = options.Kademlia is { } kad ? new Kademlia.Kademlia(host, kad, time, loggerFactory) : null;
        var node = new Libp2pNode(host, gossipsub, kademlia, options, loggerFactory);
        try
        {
            await gossipsub.StartAsync(ct).ConfigureAwait(false);
            if (kademlia is not null)
            {
                await kademlia.StartAsync(ct).ConfigureAwait(false);
            }

            await host.StartAsync(ct).ConfigureAwait(false);
            if (options.Mdns is { } mdns)
            {
                node.Mdns = new Mero.Network.Discovery.MdnsDiscovery(host, mdns, time, loggerFactory);
                await node.Mdns.StartAsync(ct).ConfigureAwait(false);
            }

            return node;
        }
        catch
        {
            await node.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>A request/response protocol on this node; call <see cref="RequestResponseProtocol.Serve"/> to answer it.</summary>
    public RequestResponseProtocol AddRequestResponse(string protocol, RequestResponseOptions options) =>
        new(Host, protocol, options, _loggerFactory);

    public async ValueTask DisposeAsync()
    {
        if (Mdns is not null)
        {
            await Mdns.DisposeAsync().ConfigureAwait(false);
        }

        if (Kademlia is not null)
        {
            await Kademlia.DisposeAsync().ConfigureAwait(false);
        }

        await Gossipsub.DisposeAsync().ConfigureAwait(false);
        await Host.DisposeAsync().ConfigureAwait(false);
    }
}
