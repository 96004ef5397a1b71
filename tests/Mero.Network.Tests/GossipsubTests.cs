using System.Text;
using System.Threading.Channels;
using Mero.Network.Framing;
using Mero.Network.Multiformats;
using Mero.Network.Pubsub;
using Microsoft.Extensions.Logging;
using Xunit;
using Xunit.Abstractions;

namespace Mero.Network.Tests;

/// <summary>Gossipsub between C# routers: mesh, forwarding, dedup, validation, signatures, hostile frames.</summary>
public sealed class GossipsubTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Topic = "mero-test";
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);
    private readonly CancellationTokenSource _cts = new(TimeSpan.FromSeconds(60));
    private readonly GossipNodes _nodes = new(output);

    private CancellationToken Ct => _cts.Token;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await _nodes.DisposeAsync();
        _cts.Dispose();
    }

    [Fact]
    public void RpcRoundTripsAndRejectsOversizedLists()
    {
        var rpc = new PubsubRpc
        {
            Subscriptions = [new SubOpts(true, "a"), new SubOpts(false, "b")],
            Publish = [new PubsubMessage { From = [1, 2], Data = [3], Seqno = [0, 0, 0, 0, 0, 0, 0, 9], Topic = "a", Signature = [4] }],
            Control = new ControlMessage { IHave = [new ControlIHave("a", [[5], [6]])], IWant = [[7]], Graft = ["a"], Prune = [new ControlPrune("b", 60)] },
        };
        var back = PubsubRpc.FromProtobuf(rpc.ToProtobuf());
        Assert.Equal(rpc.Subscriptions, back.Subscriptions);
        Assert.Equal([3], back.Publish[0].Data);
        Assert.Equal("a", back.Publish[0].Topic);
        Assert.Equal([[5], [6]], back.Control!.IHave[0].MessageIds);
        Assert.Equal([7], back.Control.IWant[0]);
        Assert.Equal(["a"], back.Control.Graft);
        Assert.Equal(60UL, back.Control.Prune[0].BackoffSeconds);

        var tooMany = new PubsubRpc { Control = new ControlMessage { IWant = [.. Enumerable.Range(0, PubsubRpc.MaxControlIds + 1).Select(i => BitConverter.GetBytes(i))] } };
        var error = Assert.Throws<InvalidDataException>(() => PubsubRpc.FromProtobuf(tooMany.ToProtobuf()));
        Assert.Contains("more than 5000 control message ids", error.Message);
        Assert.Throws<InvalidDataException>(() => PubsubRpc.FromProtobuf([0x0A, 0x05, 0x01]));
    }

    [Fact]
    public void SignaturesAreStrict()
    {
        using var key = Mero.Crypto.Ed25519KeyPair.Generate();
        var self = PeerId.FromPublicKey(key.PublicKey);
        var signed = MessageSigning.Sign(key, self, Topic, "hi"u8.ToArray(), 42);
        var (message, error) = MessageSigning.Verify(signed);
        Assert.Null(error);
        Assert.Equal(self, message!.From);
        Assert.Equal(42UL, message.Seqno);
        Assert.Equal(Encoding.UTF8.GetBytes(self + "42"), GossipMessage.DefaultId(message));

        Assert.Equal("bad signature", MessageSigning.Verify(signed with { Data = "ho"u8.ToArray() }).Error);
        Assert.Equal("unsigned", MessageSigning.Verify(signed with { Signature = null }).Error);
        Assert.Equal("seqno is not 8 bytes", MessageSigning.Verify(signed with { Seqno = [1] }).Error);
        using var other = Mero.Crypto.Ed25519KeyPair.Generate();
        Assert.Equal("key does not match from", MessageSigning.Verify(signed with { Key = Libp2pPublicKey.FromEd25519(other.PublicKey).ToProtobuf() }).Error);
    }

    [Fact]
    public async Task LineOfFiveForwardsThroughTheMeshOnce()
    {
        var nodes = new List<(Gossipsub Router, Mero.Network.Host.Libp2pHost Host, TestLoggerFactory Logs)>();
        for (var i = 0; i < 5; i++)
        {
            nodes.Add(await _nodes.StartAsync("n" + i, ct: Ct));
        }

        var readers = new List<ChannelReader<GossipMessage>>();
        foreach (var node in nodes)
        {
            readers.Add(await node.Router.SubscribeAsync(Topic, Ct));
        }

        for (var i = 0; i + 1 < nodes.Count; i++)
        {
            await nodes[i].Host.DialAsync(nodes[i + 1].Host.ListenAddresses[0].WithPeerId(nodes[i + 1].Host.PeerId), Ct);
        }

        for (var i = 0; i < nodes.Count; i++)
        {
            var expected = (i > 0 ? 1 : 0) + (i + 1 < nodes.Count ? 1 : 0);
            var router = nodes[i].Router;
            await GossipNodes.UntilAsync(async () => (await router.MeshPeersAsync(Topic, Ct)).Count == expected, Wait, $"mesh of n{i}");
        }

        var result = await nodes[0].Router.PublishAsync(Topic, "end to end"u8.ToArray(), Ct);
        Assert.Equal(1, result.Peers);
        for (var i = 1; i < nodes.Count; i++)
        {
            var got = await GossipNodes.ReceiveAsync(readers[i], Wait, Ct);
            Assert.Equal("end to end", Encoding.UTF8.GetString(got.Data));
            Assert.Equal(nodes[0].Host.PeerId, got.From);
            Assert.Equal(result.MessageId, got.Id);
            Assert.Equal(nodes[i - 1].Host.PeerId, got.ReceivedFrom);
        }

        // No duplicates and no echo to the publisher.
        await Task.Delay(500);
        for (var i = 0; i < nodes.Count; i++)
        {
            Assert.False(readers[i].TryRead(out _));
        }
    }

    [Fact]
    public async Task RejectedMessagesAreNotForwardedAndPenaliseTheSender()
    {
        var a = await _nodes.StartAsync("a", ct: Ct);
        var b = await _nodes.StartAsync("b", ct: Ct);
        var c = await _nodes.StartAsync("c", ct: Ct);
        var readerB = await b.Router.SubscribeAsync(Topic, Ct);
        var readerC = await c.Router.SubscribeAsync(Topic, Ct);
        await a.Router.SubscribeAsync(Topic, Ct);
        await b.Router.SetValidatorAsync(Topic, async (m, ct) =>
        {
            await Task.Yield();
            return Encoding.UTF8.GetString(m.Data).StartsWith("ok", StringComparison.Ordinal) ? ValidationResult.Accept : ValidationResult.Reject;
        }, Ct);
        await a.Host.DialAsync(b.Host.ListenAddresses[0].WithPeerId(b.Host.PeerId), Ct);
        await b.Host.DialAsync(c.Host.ListenAddresses[0].WithPeerId(c.Host.PeerId), Ct);
        await GossipNodes.UntilAsync(async () => (await b.Router.MeshPeersAsync(Topic, Ct)).Count == 2, Wait, "mesh of b");
        await GossipNodes.UntilAsync(async () => (await c.Router.MeshPeersAsync(Topic, Ct)).Count == 1, Wait, "mesh of c");

        await a.Router.PublishAsync(Topic, "bad delta"u8.ToArray(), Ct);
        await a.Router.PublishAsync(Topic, "ok delta"u8.ToArray(), Ct);

        Assert.Equal("ok delta", Encoding.UTF8.GetString((await GossipNodes.ReceiveAsync(readerB, Wait, Ct)).Data));
        Assert.Equal("ok delta", Encoding.UTF8.GetString((await GossipNodes.ReceiveAsync(readerC, Wait, Ct)).Data));
        // Validations run concurrently, so "ok" may be accepted before "bad" is rejected: wait for
        // the rejection to land (it is what lowers the score), then check nothing bad reached c.
        await GossipNodes.UntilAsync(async () => await b.Router.ScoreAsync(a.Host.PeerId, Ct) < 0, Wait, "a's score at b turns negative");
        Assert.False(readerC.TryRead(out _));
    }

    [Fact]
    public async Task HostileFramesDropTheStreamAndOthersKeepGossiping()
    {
        var target = await _nodes.StartAsync("target", ct: Ct);
        var good = await _nodes.StartAsync("good", ct: Ct);
        var evil = await _nodes.StartAsync("evil", ct: Ct);
        var reader = await target.Router.SubscribeAsync(Topic, Ct);
        await good.Router.SubscribeAsync(Topic, Ct);
        await good.Host.DialAsync(target.Host.ListenAddresses[0].WithPeerId(target.Host.PeerId), Ct);
        var connection = await evil.Host.DialAsync(target.Host.ListenAddresses[0].WithPeerId(target.Host.PeerId), Ct);

        // Oversized: announces more than the transmit limit.
        await using (var stream = await connection.OpenStreamAsync(GossipsubOptions.ProtocolV11, Ct))
        {
            await stream.WriteAsync(Varint.Encode((ulong)GossipNodes.FastOptions.MaxTransmitSize + 1), Ct);
            await target.Logs.WaitForAsync(LogLevel.Debug, "exceeds the limit", Wait);
        }

        // Truncated: a frame cut short by a half-close.
        await using (var stream = await connection.OpenStreamAsync(GossipsubOptions.ProtocolV11, Ct))
        {
            await stream.WriteAsync(new byte[] { 100, 1, 2, 3 }, Ct);
            await stream.CloseWriteAsync(Ct);
            await target.Logs.WaitForAsync(LogLevel.Debug, "stream ended inside a message of 100 bytes", Wait);
        }

        // Malformed protobuf and a forged message.
        await using (var stream = await connection.OpenStreamAsync(GossipsubOptions.ProtocolV11, Ct))
        {
            await LengthPrefixed.WriteAsync(stream, new byte[] { 0x12, 0x40, 1 }, Ct);
            await target.Logs.WaitForAsync(LogLevel.Debug, "malformed pubsub RPC", Wait);
        }

        Assert.True(await target.Router.ScoreAsync(evil.Host.PeerId, Ct) < 0);
        await GossipNodes.UntilAsync(async () => (await target.Router.MeshPeersAsync(Topic, Ct)).Contains(good.Host.PeerId), Wait, "good peer in mesh");
        await good.Router.PublishAsync(Topic, "still fine"u8.ToArray(), Ct);
        Assert.Equal("still fine", Encoding.UTF8.GetString((await GossipNodes.ReceiveAsync(reader, Wait, Ct)).Data));
    }

    [Fact]
    public async Task MeshStaysWithinDHighAndGossipReachesNonMeshPeers()
    {
        var options = GossipNodes.FastOptions with { D = 2, DLow = 1, DHigh = 3, FloodPublish = false };
        var hub = await _nodes.StartAsync("hub", options, Ct);
        var hubReader = await hub.Router.SubscribeAsync(Topic, Ct);
        var spokes = new List<(Gossipsub Router, Mero.Network.Host.Libp2pHost Host, TestLoggerFactory Logs)>();
        var readers = new List<ChannelReader<GossipMessage>>();
        for (var i = 0; i < 6; i++)
        {
            var spoke = await _nodes.StartAsync("s" + i, options, Ct);
            readers.Add(await spoke.Router.SubscribeAsync(Topic, Ct));
            await spoke.Host.DialAsync(hub.Host.ListenAddresses[0].WithPeerId(hub.Host.PeerId), Ct);
            spokes.Add(spoke);
        }

        await GossipNodes.UntilAsync(async () => (await hub.Router.TopicPeersAsync(Topic, Ct)).Count == 6, Wait, "hub knows all spokes");
        await Task.Delay(1000);
        var mesh = await hub.Router.MeshPeersAsync(Topic, Ct);
        Assert.InRange(mesh.Count, options.DLow, options.DHigh);

        // Every spoke gets the hub's message: the mesh directly, the rest through IHAVE/IWANT.
        await hub.Router.PublishAsync(Topic, "via gossip too"u8.ToArray(), Ct);
        foreach (var reader in readers)
        {
            Assert.Equal("via gossip too", Encoding.UTF8.GetString((await GossipNodes.ReceiveAsync(reader, Wait, Ct)).Data));
        }

        Assert.False(hubReader.TryRead(out _));
    }

    [Fact]
    public async Task APeerThatStopsReadingOnlyLosesItsOwnMessagesAndMemoryStaysBounded()
    {
        var target = await _nodes.StartAsync("target", ct: Ct);
        var good = await _nodes.StartAsync("good", ct: Ct);
        var goodReader = await good.Router.SubscribeAsync(Topic, Ct);
        await target.Router.SubscribeAsync(Topic, Ct);
        await good.Host.DialAsync(target.Host.ListenAddresses[0].WithPeerId(target.Host.PeerId), Ct);

        // The stuck peer: a bare host that subscribes, then never reads what the target sends it.
        using var stuckKey = Mero.Crypto.Ed25519KeyPair.Generate();
        await using var stuck = new Mero.Network.Host.Libp2pHost(stuckKey, new Mero.Network.Host.Libp2pHostOptions { PingInterval = null });
        var never = new TaskCompletionSource();
        stuck.SetHandler(GossipsubOptions.ProtocolV11, (_, ct) => never.Task.WaitAsync(ct));
        await stuck.StartAsync(Ct);
        await stuck.DialAsync(target.Host.ListenAddresses[0].WithPeerId(target.Host.PeerId), Ct);
        await using var hello = await stuck.OpenStreamAsync(target.Host.PeerId, GossipsubOptions.ProtocolV11, Ct);
        await LengthPrefixed.WriteAsync(hello, new PubsubRpc { Subscriptions = [new SubOpts(true, Topic)] }.ToProtobuf(), Ct);
        await GossipNodes.UntilAsync(async () => (await target.Router.TopicPeersAsync(Topic, Ct)).Count == 2, Wait, "target sees both subscribers");

        var before = GC.GetTotalMemory(forceFullCollection: true);
        var payload = new byte[1024];
        const int Batches = 30, PerBatch = 100;
        for (var batch = 0; batch < Batches; batch++)
        {
            for (var i = 0; i < PerBatch; i++)
            {
                await target.Router.PublishAsync(Topic, payload, Ct);
            }

            for (var i = 0; i < PerBatch; i++)
            {
                await GossipNodes.ReceiveAsync(goodReader, Wait, Ct);
            }
        }

        var stats = await target.Router.StatsAsync(Ct);
        var grown = GC.GetTotalMemory(forceFullCollection: true) - before;
        output.WriteLine($"dropped {stats.DroppedRpcs} RPCs to the stuck peer; heap grew {grown / 1024} KiB");
        // Its queue (256) and Yamux window (256 KiB) hold a few hundred; the rest were dropped, not buffered.
        Assert.True(stats.DroppedRpcs > (Batches * PerBatch) - 1000, $"dropped only {stats.DroppedRpcs}");
        Assert.True(grown < 32 * 1024 * 1024, $"heap grew {grown} bytes");
        Assert.Contains(good.Host.PeerId, await target.Router.TopicPeersAsync(Topic, Ct));
    }

    [Fact]
    public async Task LosingOneOfTwoConnectionsKeepsThePeerInTheMesh()
    {
        var a = await _nodes.StartAsync("a", ct: Ct);
        var b = await _nodes.StartAsync("b", ct: Ct);
        await a.Router.SubscribeAsync(Topic, Ct);
        var reader = await b.Router.SubscribeAsync(Topic, Ct);
        var address = b.Host.ListenAddresses[0].WithPeerId(b.Host.PeerId);
        var first = await a.Host.DialAsync(address, Ct);
        await GossipNodes.UntilAsync(async () => (await a.Router.MeshPeersAsync(Topic, Ct)).Count == 1, Wait, "mesh");
        await a.Host.DialAsync(address, Ct);

        // The connection carrying both gossip streams goes away; the routers reopen them on the other.
        await first.CloseAsync(Ct);
        await Task.Delay(1500);
        Assert.Contains(b.Host.PeerId, await a.Router.TopicPeersAsync(Topic, Ct));
        var sent = await a.Router.PublishAsync(Topic, "after reconnect"u8.ToArray(), Ct);
        Assert.Equal(1, sent.Peers);
        Assert.Equal("after reconnect", Encoding.UTF8.GetString((await GossipNodes.ReceiveAsync(reader, Wait, Ct)).Data));
    }

    [Fact]
    public async Task TheHeartbeatRunsOnTheTimeProviderAndTrimsTheMeshToD()
    {
        var time = new ManualTimeProvider();
        var options = new GossipsubOptions { D = 2, DLow = 1, DHigh = 3, HeartbeatInitialDelay = TimeSpan.FromSeconds(1), HeartbeatInterval = TimeSpan.FromSeconds(1) };
        var hub = await _nodes.StartAsync("hub", options, Ct, time);
        await hub.Router.SubscribeAsync(Topic, Ct);
        var spokes = new List<Gossipsub>();
        for (var i = 0; i < 6; i++)
        {
            var spoke = await _nodes.StartAsync("s" + i, options, Ct, time);
            await spoke.Router.SubscribeAsync(Topic, Ct);
            await spoke.Host.DialAsync(hub.Host.ListenAddresses[0].WithPeerId(hub.Host.PeerId), Ct);
            spokes.Add(spoke.Router);
        }

        await GossipNodes.UntilAsync(async () => (await hub.Router.TopicPeersAsync(Topic, Ct)).Count == 6, Wait, "hub knows all spokes");
        await Task.Delay(300);
        Assert.Empty(await hub.Router.MeshPeersAsync(Topic, Ct)); // no heartbeat yet, nobody grafted

        time.Advance(TimeSpan.FromSeconds(1)); // first heartbeat everywhere: spokes graft the hub
        foreach (var spoke in spokes)
        {
            await GossipNodes.UntilAsync(async () => (await spoke.MeshPeersAsync(Topic, Ct)).Count == 1, Wait, "spoke grafts the hub");
        }

        await GossipNodes.UntilAsync(async () => (await hub.Router.MeshPeersAsync(Topic, Ct)).Count == 6, Wait, "hub accepts the grafts");
        time.Advance(TimeSpan.FromSeconds(1)); // above D_hi: the hub prunes down to D
        await GossipNodes.UntilAsync(async () => (await hub.Router.MeshPeersAsync(Topic, Ct)).Count == options.D, Wait, "hub prunes to D");
        async Task<int> PrunedAsync()
        {
            var pruned = 0;
            foreach (var spoke in spokes)
            {
                pruned += (await spoke.MeshPeersAsync(Topic, Ct)).Count == 0 ? 1 : 0;
            }

            return pruned;
        }

        await GossipNodes.UntilAsync(async () => await PrunedAsync() == 4, Wait, "four spokes receive PRUNE");
        time.Advance(TimeSpan.FromSeconds(5)); // inside the 60 s backoff nobody grafts back
        await Task.Delay(300);
        Assert.Equal(options.D, (await hub.Router.MeshPeersAsync(Topic, Ct)).Count);
        Assert.Equal(4, await PrunedAsync());
    }
}
