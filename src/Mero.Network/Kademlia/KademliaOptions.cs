using Mero.Network.Multiformats;
using Mero.Network.Yamux;

namespace Mero.Network.Kademlia;

public sealed record KademliaOptions
{
    /// <summary>Upstream Calimero's protocol id (not the public IPFS DHT's <c>/ipfs/kad/1.0.0</c>).</summary>
    public const string CalimeroProtocol = "/calimero/kad/1.0.0";

    public string Protocol { get; init; } = CalimeroProtocol;

    /// <summary>Bucket size and replication factor (upstream: 10 for records; spec default 20).</summary>
    public int K { get; init; } = 20;

    /// <summary>Queries in flight per lookup.</summary>
    public int Alpha { get; init; } = 3;

    /// <summary>Boot nodes, each <c>/ip4|ip6/ADDR/tcp/PORT/p2p/ID</c>.</summary>
    public IReadOnlyList<Multiaddr> BootNodes { get; init; } = [];

    /// <summary>Period of the self-lookup that refreshes the table; null: only at start.</summary>
    public TimeSpan? RefreshInterval { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>One lookup end to end (upstream: 60 s).</summary>
    public TimeSpan QueryTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>One request to one peer.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);

    public TimeSpan ProviderTtl { get; init; } = TimeSpan.FromHours(48);

    public int MaxProviderKeys { get; init; } = 65536;

    public int MaxProvidersPerKey { get; init; } = 64;

    public int MaxMessageSize { get; init; } = 256 * 1024;

    /// <summary>Inbound kad streams served at once; more are reset.</summary>
    public int MaxInboundStreams { get; init; } = 256;

    public void Validate()
    {
        YamuxOptions.Require(Protocol.StartsWith('/'), nameof(Protocol), "a protocol id");
        YamuxOptions.Require(K >= 1, nameof(K), ">= 1");
        YamuxOptions.Require(Alpha >= 1, nameof(Alpha), ">= 1");
        YamuxOptions.Require(BootNodes.All(b => b.PeerId is not null && b.TryGetTcpEndPoint(out _)), nameof(BootNodes), "/ip4|ip6/ADDR/tcp/PORT/p2p/ID addresses");
        YamuxOptions.Require(RefreshInterval is null || RefreshInterval > TimeSpan.Zero, nameof(RefreshInterval), "> 0 or null");
        YamuxOptions.Require(QueryTimeout > TimeSpan.Zero, nameof(QueryTimeout), "> 0");
        YamuxOptions.Require(RequestTimeout > TimeSpan.Zero, nameof(RequestTimeout), "> 0");
        YamuxOptions.Require(ProviderTtl > TimeSpan.Zero, nameof(ProviderTtl), "> 0");
        YamuxOptions.Require(MaxProviderKeys >= 1, nameof(MaxProviderKeys), ">= 1");
        YamuxOptions.Require(MaxProvidersPerKey >= 1, nameof(MaxProvidersPerKey), ">= 1");
        YamuxOptions.Require(MaxMessageSize >= 4096, nameof(MaxMessageSize), ">= 4 KiB");
        YamuxOptions.Require(MaxInboundStreams >= 1, nameof(MaxInboundStreams), ">= 1");
    }
}
