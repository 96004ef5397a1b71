using System.Text;
using Mero.Crypto;
using Mero.Network.Host;
using Mero.Network.Kademlia;
using Mero.Network.Node;
using Mero.Network.Pubsub;
using Mero.Network.RequestResponse;
using Xunit;
using Xunit.Abstractions;

namespace Mero.Network.Tests;

/// <summary>The composed node: identify announcements, gossip and request/response with limits.</summary>
public sealed class NodeTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Echo = "/mero/reqresp-test/1.0.0";
    private readonly CancellationTokenSource _cts = new(TimeSpan.FromSeconds(60));
    private readonly Ed25519KeyPair _keyA = Ed25519KeyPair.Generate();
    private readonly Ed25519KeyPair _keyB = Ed25519KeyPair.Generate();
    private Libp2pNode _a = null!;
    private Libp2pNode _b = null!;

    private CancellationToken Ct => _cts.Token;

    public async Task InitializeAsync()
    {
        var options = Libp2pNodeOptions.Calimero(new Libp2pHostOptions { PingInterval = null }, []) with
        {
            Gossipsub = GossipsubOptions.Calimero with { HeartbeatInterval = TimeSpan.FromMilliseconds(200) },
        };
        _a = await Libp2pNode.StartAsync(_keyA, options, new TestLoggerFactory(output, "a "), ct: Ct);
        _b = await Libp2pNode.StartAsync(_keyB, options, new TestLoggerFactory(output, "b "), ct: Ct);
    }

    public async Task DisposeAsync()
    {
        await _a.DisposeAsync();
        await _b.DisposeAsync();
        _keyA.Dispose();
        _keyB.Dispose();
        _cts.Dispose();
    }

    private async Task ConnectAsync() => await _a.Host.DialAsync(_b.Host.ListenAddresses[0].WithPeerId(_b.PeerId), Ct);

    [Fact]
    public async Task IdentifyAnnouncesMeshsubAndKademliaAndBothTalk()
    {
        var info = await _a.Host.IdentifyAsync(await _a.Host.DialAsync(_b.Host.ListenAddresses[0].WithPeerId(_b.PeerId), Ct), Ct);
        Assert.Contains(GossipsubOptions.ProtocolV11, info.Protocols);
        Assert.Contains(KademliaOptions.CalimeroProtocol, info.Protocols);

        var reader = await _b.Gossipsub.SubscribeAsync("ctx", Ct);
        await GossipNodes.UntilAsync(async () => (await _a.Gossipsub.TopicPeersAsync("ctx", Ct)).Count == 1, TimeSpan.FromSeconds(10), "a sees b's subscription");
        var published = await _a.Gossipsub.PublishAsync("ctx", "delta"u8.ToArray(), Ct);
        Assert.Equal(1, published.Peers); // flood publish without joining the topic
        Assert.Equal("delta", Encoding.UTF8.GetString((await GossipNodes.ReceiveAsync(reader, TimeSpan.FromSeconds(10), Ct)).Data));

        await GossipNodes.UntilAsync(async () => (await _a.Kademlia!.RoutingTablePeersAsync(Ct)).Count == 1, TimeSpan.FromSeconds(10), "kad table from identify");
    }

    [Theory]
    [InlineData(FrameFormat.Uvarint)]
    [InlineData(FrameFormat.U32BigEndian)]
    public async Task RequestResponseRoundTripsAndEnforcesLimits(FrameFormat framing)
    {
        var options = new RequestResponseOptions { Framing = framing, MaxRequestSize = 1024, MaxResponseSize = 2048, Timeout = TimeSpan.FromSeconds(5) };
        var server = _b.AddRequestResponse(Echo, options);
        server.Serve((peer, request, ct) => request.Length switch
        {
            4 when request[0] == 'b' => Task.FromResult(new byte[3000]),          // over the response limit
            4 when request[0] == 'f' => throw new InvalidOperationException("handler failed"),
            _ => Task.FromResult<byte[]>([.. "echo:"u8, .. request, .. Encoding.UTF8.GetBytes(peer.ToString())]),
        });
        await ConnectAsync();
        var client = _a.AddRequestResponse(Echo, options);

        var reply = await client.RequestAsync(_b.PeerId, "ping"u8.ToArray(), Ct);
        Assert.Equal("echo:ping" + _a.PeerId, Encoding.UTF8.GetString(reply));

        await Assert.ThrowsAnyAsync<IOException>(() => client.RequestAsync(_b.PeerId, "fail"u8.ToArray(), Ct));
        await Assert.ThrowsAnyAsync<IOException>(() => client.RequestAsync(_b.PeerId, "big!"u8.ToArray(), Ct));

        // A larger client limit lets an oversized request out; the server refuses it before reading it.
        var greedy = _a.AddRequestResponse(Echo, options with { MaxRequestSize = 4096 });
        await Assert.ThrowsAnyAsync<IOException>(() => greedy.RequestAsync(_b.PeerId, new byte[2000], Ct));
        await Assert.ThrowsAsync<ArgumentException>(() => client.RequestAsync(_b.PeerId, new byte[2000], Ct));

        // A client with a smaller response limit refuses a response over it.
        var strict = _a.AddRequestResponse(Echo, options with { MaxResponseSize = 8 });
        var error = await Assert.ThrowsAsync<InvalidDataException>(() => strict.RequestAsync(_b.PeerId, "long answer please"u8.ToArray(), Ct));
        Assert.Contains("exceeds the limit of 8", error.Message);

        // The connection survived all of it.
        Assert.StartsWith("echo:again", Encoding.UTF8.GetString(await client.RequestAsync(_b.PeerId, "again"u8.ToArray(), Ct)));
    }

    [Fact]
    public async Task ExcessConcurrentRequestsAreRefusedOthersAnswered()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var options = new RequestResponseOptions { MaxConcurrentInbound = 2, Timeout = TimeSpan.FromSeconds(10) };
        _b.AddRequestResponse(Echo, options).Serve(async (_, request, ct) =>
        {
            await gate.Task.WaitAsync(ct);
            return request;
        });
        await ConnectAsync();
        var client = _a.AddRequestResponse(Echo, options);
        var calls = Enumerable.Range(0, 5).Select(i => client.RequestAsync(_b.PeerId, new[] { (byte)i }, Ct)).ToList();
        await Task.Delay(500);
        gate.SetResult();
        var results = await Task.WhenAll(calls.Select(async c =>
        {
            try
            {
                return await c;
            }
            catch (IOException)
            {
                return null;
            }
        }));
        Assert.Equal(2, results.Count(r => r is not null));
    }
}
