using Mero.Network.Multiformats;
using Mero.Network.Yamux;

namespace Mero.Network.Host;

/// <summary>Everything a <see cref="Libp2pHost"/> may be told; validated when the host is built.</summary>
public sealed record Libp2pHostOptions
{
    /// <summary>TCP addresses to listen on (<c>/ip4|ip6/ADDR/tcp/PORT</c>; port 0 picks one).</summary>
    public IReadOnlyList<Multiaddr> ListenAddresses { get; init; } = [Multiaddr.Parse("/ip4/127.0.0.1/tcp/0")];

    /// <summary>Addresses announced in identify instead of the bound ones, when set.</summary>
    public IReadOnlyList<Multiaddr>? AnnounceAddresses { get; init; }

    public string AgentVersion { get; init; } = "mero/0.1";

    public string ProtocolVersion { get; init; } = "ipfs/0.1.0";

    public int MaxConnections { get; init; } = 1024;

    public int MaxConnectionsPerPeer { get; init; } = 8;

    /// <summary>Inbound connections still in their handshake; more are closed at once.</summary>
    public int MaxPendingIncoming { get; init; } = 128;

    /// <summary>Outbound dials in progress; more fail at once.</summary>
    public int MaxPendingOutgoing { get; init; } = 128;

    public TimeSpan DialTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>From TCP connect/accept to a running Yamux session (multistream, Noise, multistream).</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Protocol negotiation on one stream.</summary>
    public TimeSpan NegotiationTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>A connection without open streams for this long is closed (upstream: 30 s).</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Keep-alive ping period per connection (upstream: 15 s); null disables. Pings do not count as activity.</summary>
    public TimeSpan? PingInterval { get; init; } = TimeSpan.FromSeconds(15);

    public TimeSpan PingTimeout { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>Consecutive failed keep-alive pings after which the connection is closed (upstream: 3).</summary>
    public int MaxPingFailures { get; init; } = 3;

    /// <summary>Identify the remote side of every new connection.</summary>
    public bool IdentifyOnConnect { get; init; } = true;

    public int MaxIdentifyMessageSize { get; init; } = 64 * 1024;

    public YamuxOptions Yamux { get; init; } = new();

    public void Validate()
    {
        foreach (var address in ListenAddresses)
        {
            if (!address.TryGetTcpEndPoint(out _))
            {
                throw new ArgumentException($"listen address {address} is not /ip4|ip6/ADDR/tcp/PORT", nameof(ListenAddresses));
            }
        }

        YamuxOptions.Require(!string.IsNullOrWhiteSpace(AgentVersion), nameof(AgentVersion), "non-empty");
        YamuxOptions.Require(!string.IsNullOrWhiteSpace(ProtocolVersion), nameof(ProtocolVersion), "non-empty");
        YamuxOptions.Require(MaxConnections >= 1, nameof(MaxConnections), ">= 1");
        YamuxOptions.Require(MaxConnectionsPerPeer >= 1, nameof(MaxConnectionsPerPeer), ">= 1");
        YamuxOptions.Require(MaxPendingIncoming >= 1, nameof(MaxPendingIncoming), ">= 1");
        YamuxOptions.Require(MaxPendingOutgoing >= 1, nameof(MaxPendingOutgoing), ">= 1");
        YamuxOptions.Require(DialTimeout > TimeSpan.Zero, nameof(DialTimeout), "> 0");
        YamuxOptions.Require(HandshakeTimeout > TimeSpan.Zero, nameof(HandshakeTimeout), "> 0");
        YamuxOptions.Require(NegotiationTimeout > TimeSpan.Zero, nameof(NegotiationTimeout), "> 0");
        YamuxOptions.Require(IdleTimeout > TimeSpan.Zero, nameof(IdleTimeout), "> 0");
        YamuxOptions.Require(PingInterval is null || PingInterval > TimeSpan.Zero, nameof(PingInterval), "> 0 or null");
        YamuxOptions.Require(PingTimeout > TimeSpan.Zero, nameof(PingTimeout), "> 0");
        YamuxOptions.Require(MaxPingFailures >= 1, nameof(MaxPingFailures), ">= 1");
        YamuxOptions.Require(MaxIdentifyMessageSize >= 1024, nameof(MaxIdentifyMessageSize), ">= 1 KiB");
        Yamux.Validate();
    }
}
