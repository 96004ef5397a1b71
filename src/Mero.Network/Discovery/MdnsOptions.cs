using System.Net;
using Mero.Network.Yamux;

namespace Mero.Network.Discovery;

/// <summary>libp2p mDNS (libp2p/specs discovery/mdns.md); off unless a node is given these options, as upstream.</summary>
public sealed record MdnsOptions
{
    public const string ServiceName = "_p2p._udp.local";

    public IPAddress MulticastAddress { get; init; } = IPAddress.Parse("224.0.0.251");

    public int Port { get; init; } = 5353;

    /// <summary>How often we ask (upstream: 5 min); also asked once at start.</summary>
    public TimeSpan QueryInterval { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>TTL of the records we announce (upstream: 6 min).</summary>
    public TimeSpan Ttl { get; init; } = TimeSpan.FromMinutes(6);

    /// <summary>Dial peers as they are discovered.</summary>
    public bool DialDiscovered { get; init; } = true;

    public void Validate()
    {
        YamuxOptions.Require(MulticastAddress.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork, nameof(MulticastAddress), "an IPv4 multicast address");
        YamuxOptions.Require(Port is > 0 and < 65536, nameof(Port), "1..65535");
        YamuxOptions.Require(QueryInterval > TimeSpan.Zero, nameof(QueryInterval), "> 0");
        YamuxOptions.Require(Ttl >= TimeSpan.FromSeconds(1), nameof(Ttl), ">= 1 s");
    }
}
