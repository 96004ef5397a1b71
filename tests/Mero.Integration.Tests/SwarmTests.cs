using Xunit;
using Mero.Crypto;
using Mero.Network.Host;
using Mero.Network.Multiformats;
using Mero.Node.Configuration;

namespace Mero.Integration.Tests;

/// <summary>A running merod is an ordinary libp2p peer on its swarm port: any peer can dial, ping and identify it.</summary>
public sealed class SwarmTests
{
    [Fact]
    public async Task A_peer_dials_the_swarm_port_pings_and_identifies_the_node()
    {
        await using var node = await MerodProcess.StartAsync();
        var config = NodeConfigFile.Load(Path.Combine(node.NodeHome, NodeConfigFile.FileName));

        using var key = Ed25519KeyPair.Generate();
        await using var peer = new Libp2pHost(key, new Libp2pHostOptions());
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await peer.StartAsync(timeout.Token);

        var connection = await peer.DialAsync(Multiaddr.Parse($"/ip4/127.0.0.1/tcp/{node.SwarmPort}"), timeout.Token);
        Assert.Equal(config.Identity.PeerId, connection.RemotePeer.ToString());

        var rtt = await peer.PingAsync(connection, timeout.Token);
        Assert.True(rtt > TimeSpan.Zero && rtt < TimeSpan.FromSeconds(5), $"ping round trip {rtt}");

        var info = await peer.IdentifyAsync(connection, timeout.Token);
        Assert.Equal(config.Identity.PeerId, info.PeerId.ToString());
        Assert.Contains(Libp2pHost.PingProtocol, info.Protocols);
        Assert.Contains(Libp2pHost.IdentifyProtocol, info.Protocols);
        Assert.Contains("/meshsub/1.1.0", info.Protocols);
        Assert.Contains("/calimero/kad/1.0.0", info.Protocols);
        Assert.StartsWith("merod/", info.AgentVersion);
        Assert.Contains(info.ListenAddresses, a => a.ToString().EndsWith($"/tcp/{node.SwarmPort}", StringComparison.Ordinal));

        // The HTTP side is unaffected by the libp2p session.
        using var health = await node.Http.GetAsync("/admin-api/health");
        Assert.True(health.IsSuccessStatusCode);
    }

    [Fact]
    public async Task A_peer_with_a_wrong_expected_identity_is_refused()
    {
        await using var node = await MerodProcess.StartAsync();
        using var key = Ed25519KeyPair.Generate();
        using var other = Ed25519KeyPair.Generate();
        await using var peer = new Libp2pHost(key, new Libp2pHostOptions());
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await peer.StartAsync(timeout.Token);

        var wrongPeer = PeerId.FromPublicKey(other.PublicKey);
        var address = Multiaddr.Parse($"/ip4/127.0.0.1/tcp/{node.SwarmPort}").WithPeerId(wrongPeer);
        await Assert.ThrowsAnyAsync<Exception>(() => peer.DialAsync(address, timeout.Token));

        // The node keeps serving libp2p after the failed handshake.
        var connection = await peer.DialAsync(Multiaddr.Parse($"/ip4/127.0.0.1/tcp/{node.SwarmPort}"), timeout.Token);
        Assert.True(await peer.PingAsync(connection, timeout.Token) > TimeSpan.Zero);
    }
}
