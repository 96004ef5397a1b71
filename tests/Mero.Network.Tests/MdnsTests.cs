using Mero.Crypto;
using Mero.Network.Discovery;
using Mero.Network.Host;
using Mero.Network.Node;
using Xunit;
using Xunit.Abstractions;

namespace Mero.Network.Tests;

/// <summary>mDNS: the DNS subset it speaks, and two nodes finding each other on a multicast group.</summary>
public sealed class MdnsTests(ITestOutputHelper output)
{
    [Fact]
    public void PacketsRoundTripAndCompressedNamesAreRead()
    {
        var message = new DnsMessage(true, [], [
            new DnsRecord(MdnsOptions.ServiceName, DnsType.Ptr, 360, "abc._p2p._udp.local", []),
            new DnsRecord("abc._p2p._udp.local", DnsType.Txt, 360, null, ["dnsaddr=/ip4/10.0.0.1/tcp/4001/p2p/12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA"]),
        ]);
        var back = DnsMessage.Decode(message.Encode());
        Assert.True(back.IsResponse);
        Assert.Equal("abc._p2p._udp.local", back.Answers[0].Target);
        Assert.Equal(message.Answers[1].Texts, back.Answers[1].Texts);

        // A question whose name points back at the first one (RFC 1035 compression).
        byte[] compressed =
        [
            0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0,
            4, (byte)'_', (byte)'p', (byte)'2', (byte)'p', 4, (byte)'_', (byte)'u', (byte)'d', (byte)'p', 5, (byte)'l', (byte)'o', (byte)'c', (byte)'a', (byte)'l', 0, 0, 12, 0, 1,
            0xC0, 12, 0, 12, 0, 1,
        ];
        var questions = DnsMessage.Decode(compressed).Questions;
        Assert.Equal([MdnsOptions.ServiceName, MdnsOptions.ServiceName], questions.Select(q => q.Name));

        Assert.Throws<InvalidDataException>(() => DnsMessage.Decode(compressed.AsSpan(0, 20)));
        byte[] loop = [0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 12, 0, 12, 0, 1];
        Assert.Contains("too many labels or pointers", Assert.Throws<InvalidDataException>(() => DnsMessage.Decode(loop)).Message);
    }

    [Fact]
    public async Task TwoNodesDiscoverAndDialEachOther()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var mdns = new MdnsOptions { Port = Random.Shared.Next(40000, 60000), QueryInterval = TimeSpan.FromMilliseconds(500) };
        var options = new Libp2pNodeOptions { Host = new Libp2pHostOptions { PingInterval = null }, Kademlia = null, Mdns = mdns };
        using var keyA = Ed25519KeyPair.Generate();
        using var keyB = Ed25519KeyPair.Generate();
        await using var a = await Libp2pNode.StartAsync(keyA, options, new TestLoggerFactory(output, "a "), ct: cts.Token);
        await using var b = await Libp2pNode.StartAsync(keyB, options, new TestLoggerFactory(output, "b "), ct: cts.Token);

        var found = await a.Mdns!.Discovered.ReadAsync(cts.Token);
        while (found.Peer != b.PeerId)
        {
            found = await a.Mdns.Discovered.ReadAsync(cts.Token);
        }

        Assert.Contains(b.Host.ListenAddresses[0], found.Addresses);
        await GossipNodes.UntilAsync(() => Task.FromResult(a.Host.ConnectionsTo(b.PeerId).Count > 0), TimeSpan.FromSeconds(10), "a dials b");
    }
}
