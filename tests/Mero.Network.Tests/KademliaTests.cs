using System.Security.Cryptography;
using Mero.Crypto;
using Mero.Network.Host;
using Mero.Network.Kademlia;
using Mero.Network.Multiformats;
using Xunit;
using Xunit.Abstractions;

namespace Mero.Network.Tests;

/// <summary>Kademlia between C# nodes: wire format, k-buckets, lookups, providers, bootstrap, bad input.</summary>
public sealed class KademliaTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly CancellationTokenSource _cts = new(TimeSpan.FromSeconds(60));
    private readonly List<(Kademlia.Kademlia Dht, Libp2pHost Host, Ed25519KeyPair Key)> _nodes = [];

    private CancellationToken Ct => _cts.Token;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var (dht, host, key) in _nodes)
        {
            await dht.DisposeAsync();
            await host.DisposeAsync();
            key.Dispose();
        }

        _cts.Dispose();
    }

    internal static byte[] Sha256Multihash(string text) => [0x12, 0x20, .. SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text))];

    private async Task<(Kademlia.Kademlia Dht, Libp2pHost Host)> StartAsync(string name, IReadOnlyList<Multiaddr>? boot = null)
    {
        var key = Ed25519KeyPair.Generate();
        var host = new Libp2pHost(key, new Libp2pHostOptions { PingInterval = null }, new TestLoggerFactory(output, name + " "));
        var dht = new Kademlia.Kademlia(host, new KademliaOptions { BootNodes = boot ?? [], RefreshInterval = null }, loggerFactory: new TestLoggerFactory(output, name + " "));
        await dht.StartAsync(Ct);
        await host.StartAsync(Ct);
        _nodes.Add((dht, host, key));
        return (dht, host);
    }

    [Fact]
    public void MessagesRoundTripAndHostileOnesAreRefused()
    {
        using var key = Ed25519KeyPair.Generate();
        var peer = new KadPeer(PeerId.FromPublicKey(key.PublicKey), [Multiaddr.Parse("/ip4/127.0.0.1/tcp/4001")]);
        var message = new KadMessage { Type = KadMessageType.GetProviders, Key = [1, 2, 3], CloserPeers = [peer], ProviderPeers = [peer] };
        var back = KadMessage.FromProtobuf(message.ToProtobuf());
        Assert.Equal(KadMessageType.GetProviders, back.Type);
        Assert.Equal([1, 2, 3], back.Key);
        Assert.Equal(peer.Id, back.CloserPeers[0].Id);
        Assert.Equal(peer.Addresses, back.ProviderPeers[0].Addresses);

        var tooMany = new KadMessage { Type = KadMessageType.FindNode, CloserPeers = [.. Enumerable.Repeat(peer, KadMessage.MaxPeers + 1)] };
        Assert.Contains("more than 200 peers", Assert.Throws<InvalidDataException>(() => KadMessage.FromProtobuf(tooMany.ToProtobuf())).Message);
        Assert.Contains("unknown kad message type 9", Assert.Throws<InvalidDataException>(() => KadMessage.FromProtobuf([0x08, 0x09])).Message);
        Assert.Contains("malformed id", Assert.Throws<InvalidDataException>(() => KadMessage.FromProtobuf([0x42, 0x03, 0x0A, 0x01, 0xFF])).Message);
    }

    [Fact]
    public void FullBucketsKeepTheirPeersAndClosestIsOrderedByXor()
    {
        using var selfKey = Ed25519KeyPair.Generate();
        var self = PeerId.FromPublicKey(selfKey.PublicKey);
        var table = new RoutingTable(self, bucketSize: 2);
        var now = DateTimeOffset.UnixEpoch;
        var peers = Enumerable.Range(0, 64).Select(_ =>
        {
            using var k = Ed25519KeyPair.Generate();
            return new KadPeer(PeerId.FromPublicKey(k.PublicKey), []);
        }).ToList();
        var added = peers.Count(p => table.AddOrUpdate(p, now));
        Assert.Equal(table.Count, added);
        Assert.True(added < 64); // the half of the keyspace sharing no prefix bit holds at most 2
        Assert.False(table.AddOrUpdate(new KadPeer(self, []), now));

        var target = KBucketKey.ForKey([7]);
        var closest = table.Closest(target, 5);
        var distances = closest.Select(p => KBucketKey.ForPeer(p.Id).DistanceTo(target)).ToList();
        Assert.Equal(distances.Order(), distances);
        Assert.Equal(table.Peers.Select(p => KBucketKey.ForPeer(p.Id).DistanceTo(target)).Min(), distances[0]);

        var first = table.Peers.First().Id;
        table.MarkFailed(first);
        Assert.True(table.Contains(first));
        table.MarkFailed(first);
        Assert.False(table.Contains(first));
    }

    [Fact]
    public async Task EightNodesBootstrapFindEachOtherAndProviders()
    {
        var boot = await StartAsync("boot");
        var bootAddress = boot.Host.ListenAddresses[0].WithPeerId(boot.Host.PeerId);
        var nodes = new List<(Kademlia.Kademlia Dht, Libp2pHost Host)>();
        for (var i = 0; i < 7; i++)
        {
            nodes.Add(await StartAsync("n" + i, [bootAddress]));
        }

        foreach (var node in nodes)
        {
            Assert.True(await node.Dht.BootstrapAsync(Ct) >= 1);
        }

        // The last node learns of all others through the boot node.
        var last = nodes[^1];
        await last.Dht.BootstrapAsync(Ct);
        Assert.Equal(7, (await last.Dht.RoutingTablePeersAsync(Ct)).Count);

        var key = Sha256Multihash("blob-1");
        var told = await nodes[2].Dht.ProvideAsync(key, Ct);
        Assert.True(told >= 1);
        var providers = await last.Dht.FindProvidersAsync(key, 1, Ct);
        var provider = Assert.Single(providers);
        Assert.Equal(nodes[2].Host.PeerId, provider.Id);
        Assert.Contains(nodes[2].Host.ListenAddresses[0], provider.Addresses);

        Assert.Empty(await last.Dht.FindProvidersAsync(Sha256Multihash("nobody has this"), 1, Ct));
    }

    [Fact]
    public async Task GarbageOnTheKadStreamResetsItAndTheNodeKeepsServing()
    {
        var a = await StartAsync("a");
        var b = await StartAsync("b");
        var connection = await b.Host.DialAsync(a.Host.ListenAddresses[0].WithPeerId(a.Host.PeerId), Ct);
        await using (var stream = await connection.OpenStreamAsync(KademliaOptions.CalimeroProtocol, Ct))
        {
            await stream.WriteAsync(Varint.Encode(10_000_000), Ct); // over the 256 KiB limit
            var buffer = new byte[16];
            await Assert.ThrowsAnyAsync<IOException>(async () => await stream.ReadExactlyAsync(buffer, Ct));
        }

        await b.Dht.AddPeerAsync(new KadPeer(a.Host.PeerId, [a.Host.ListenAddresses[0]]), Ct);
        Assert.Contains(await b.Dht.FindClosestPeersAsync(Sha256Multihash("x"), Ct), p => p.Id == a.Host.PeerId);
    }
}
