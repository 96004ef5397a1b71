using System.Text;
using Mero.Crypto;
using Mero.Network.Host;
using Mero.Network.Node;
using Mero.Network.Pubsub;
using Mero.Node.Network;
using Mero.Node.Replication;
using Xunit;

namespace Mero.Node.Tests.Replication;

/// <summary>The replication transport over two real libp2p nodes on loopback.</summary>
public sealed class Libp2pReplicationTransportTests : IAsyncLifetime
{
    private readonly CancellationTokenSource _cts = new(TimeSpan.FromSeconds(60));
    private readonly Ed25519KeyPair _keyA = Ed25519KeyPair.Generate();
    private readonly Ed25519KeyPair _keyB = Ed25519KeyPair.Generate();
    private Libp2pNode _a = null!;
    private Libp2pNode _b = null!;
    private Libp2pReplicationTransport _ta = null!;
    private Libp2pReplicationTransport _tb = null!;

    private CancellationToken Ct => _cts.Token;

    public async Task InitializeAsync()
    {
        var options = Libp2pNodeOptions.Calimero(new Libp2pHostOptions { PingInterval = null }, []) with
        {
            Gossipsub = GossipsubOptions.Calimero with { HeartbeatInterval = TimeSpan.FromMilliseconds(200) },
        };
        _a = await Libp2pNode.StartAsync(_keyA, options, ct: Ct);
        _b = await Libp2pNode.StartAsync(_keyB, options, ct: Ct);
        _ta = new Libp2pReplicationTransport(_a);
        _tb = new Libp2pReplicationTransport(_b);
    }

    public async Task DisposeAsync()
    {
        await _ta.DisposeAsync();
        await _tb.DisposeAsync();
        await _a.DisposeAsync();
        await _b.DisposeAsync();
        _keyA.Dispose();
        _keyB.Dispose();
        _cts.Dispose();
    }

    [Fact]
    public async Task Gossip_and_requests_cross_between_two_nodes()
    {
        _tb.SetRequestHandler("/mero/test-sync/1", (from, request, ct) => Task.FromResult<byte[]>([.. Encoding.UTF8.GetBytes(from + ":"), .. request.ToArray()]));
        await _tb.SubscribeAsync("context/x", Ct);
        await _a.Host.DialAsync(_b.Host.ListenAddresses[0].WithPeerId(_b.PeerId), Ct);
        await UntilAsync(async () => (await _ta.TopicPeersAsync("context/x", Ct)).Contains(_tb.LocalPeer));

        await _ta.PublishAsync("context/x", "delta"u8.ToArray(), Ct);
        var message = await _tb.Messages.ReadAsync(Ct).AsTask().WaitAsync(TimeSpan.FromSeconds(10), Ct);
        Assert.Equal(("context/x", _ta.LocalPeer, "delta"), (message.Topic, message.From, Encoding.UTF8.GetString(message.Payload.Span)));

        var response = await _ta.RequestAsync(_tb.LocalPeer, "/mero/test-sync/1", "heads?"u8.ToArray(), Ct);
        Assert.Equal(_ta.LocalPeer + ":heads?", Encoding.UTF8.GetString(response));

        var notAPeer = await Assert.ThrowsAsync<PeerUnreachableException>(() => _ta.RequestAsync("not-a-peer", "/mero/test-sync/1", "x"u8.ToArray(), Ct));
        Assert.Contains("not a peer id", notAPeer.Message);
        await Assert.ThrowsAsync<PeerUnreachableException>(() => _ta.RequestAsync(_tb.LocalPeer, "/mero/unknown/1", "x"u8.ToArray(), Ct));

        await _tb.UnsubscribeAsync("context/x", Ct);
        await UntilAsync(async () => !(await _ta.TopicPeersAsync("context/x", Ct)).Contains(_tb.LocalPeer));
    }

    private async Task UntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not reached in 15 s");
            await Task.Delay(50, Ct);
        }
    }
}
