using Mero.Crypto;
using Mero.Network.Host;
using Mero.Network.Multiformats;
using Xunit;
using Xunit.Abstractions;

namespace Mero.Network.Tests;

/// <summary>C# against js-libp2p (tests/interop/peer.mjs): Noise, Yamux, identify and ping, both directions.</summary>
[Trait("Category", "Interop")]
public sealed class InteropTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private readonly CancellationTokenSource _cts = new(TimeSpan.FromSeconds(60));
    private readonly Ed25519KeyPair _key = Ed25519KeyPair.Generate();
    private TestLoggerFactory _logs = null!;
    private Libp2pHost _host = null!;
    private JsPeer _js = null!;

    private CancellationToken Ct => _cts.Token;

    public async Task InitializeAsync()
    {
        _logs = new TestLoggerFactory(output, "cs ");
        _host = new Libp2pHost(_key, new Libp2pHostOptions(), _logs);
        _host.SetHandler("/mero/echo/1.0.0", async (stream, ct) =>
        {
            await stream.CopyToAsync(stream, ct);
            await stream.CloseWriteAsync(ct);
        });
        _host.SetHandler("/mero/sink/1.0.0", SinkAsync);
        var start = _host.StartAsync(Ct);
        _js = await JsPeer.StartAsync(output.WriteLine, Ct);
        await start;
    }

    public async Task DisposeAsync()
    {
        await _js.DisposeAsync();
        await _host.DisposeAsync();
        _key.Dispose();
        _cts.Dispose();
    }

    [Fact]
    public async Task CSharpDialsJs_NoiseAuthenticatesBothPeerIds()
    {
        var connection = await _host.DialAsync(_js.Address, Ct);
        Assert.Equal(_js.PeerId, connection.RemotePeer);

        var seen = await _js.WaitForEventAsync("connection", e => e.GetProperty("peerId").GetString() == _host.PeerId.ToString(), Timeout, Ct);
        Assert.Equal("/noise", seen.GetProperty("encryption").GetString());
        Assert.Equal("/yamux/1.0.0", seen.GetProperty("multiplexer").GetString());
        Assert.Equal("inbound", seen.GetProperty("direction").GetString());
    }

    [Fact]
    public async Task JsDialsCSharp_NoiseAuthenticatesBothPeerIds()
    {
        var events = _host.SubscribeEvents();
        var address = _host.ListenAddresses[0].WithPeerId(_host.PeerId);
        var result = await _js.CommandAsync("dial", Ct, address.ToString());
        Assert.Equal(_host.PeerId.ToString(), result.GetProperty("remotePeer").GetString());
        Assert.Equal("/noise", result.GetProperty("encryption").GetString());
        Assert.Equal("/yamux/1.0.0", result.GetProperty("multiplexer").GetString());

        var connected = await ReadEventAsync<PeerConnected>(events);
        Assert.Equal(_js.PeerId, connected.Peer);
        Assert.Equal(ConnectionDirection.Inbound, connected.Connection.Direction);
    }

    [Fact]
    public async Task CSharpPingsJs()
    {
        await _host.DialAsync(_js.Address, Ct);
        var rtt = await _host.PingAsync(_js.PeerId, Ct);
        output.WriteLine($"C# -> JS ping rtt {rtt.TotalMilliseconds:0.###} ms");
        Assert.InRange(rtt, TimeSpan.Zero, TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task JsPingsCSharp()
    {
        var address = _host.ListenAddresses[0].WithPeerId(_host.PeerId);
        var result = await _js.CommandAsync("ping", Ct, address.ToString());
        var rtt = result.GetProperty("rtt").GetDouble();
        output.WriteLine($"JS -> C# ping rtt {rtt} ms");
        Assert.InRange(rtt, 0, 5000);
    }

    [Fact]
    public async Task CSharpIdentifiesJs()
    {
        var events = _host.SubscribeEvents();
        var connection = await _host.DialAsync(_js.Address, Ct);
        var identified = await ReadEventAsync<PeerIdentified>(events);
        Assert.Equal(_js.PeerId, identified.Peer);
        Assert.StartsWith("js-libp2p/", identified.Info.AgentVersion);
        Assert.Contains("/ipfs/id/1.0.0", identified.Info.Protocols);
        Assert.Contains("/ipfs/ping/1.0.0", identified.Info.Protocols);
        Assert.Contains(_js.Address.WithoutPeerId(), identified.Info.ListenAddresses);
        Assert.Equal(connection.LocalAddress, identified.Info.ObservedAddress?.WithoutPeerId());

        var fresh = await _host.IdentifyAsync(_js.PeerId, Ct);
        Assert.Equal(identified.Info.AgentVersion, fresh.AgentVersion);
    }

    [Fact]
    public async Task JsIdentifiesCSharp()
    {
        var address = _host.ListenAddresses[0].WithPeerId(_host.PeerId);
        await _js.CommandAsync("dial", Ct, address.ToString());
        var result = await _js.CommandAsync("identify", Ct, _host.PeerId.ToString());
        Assert.Equal(_host.PeerId.ToString(), result.GetProperty("peerId").GetString());
        Assert.Equal("mero/0.1", result.GetProperty("agentVersion").GetString());
        var protocols = result.GetProperty("protocols").EnumerateArray().Select(p => p.GetString()).ToList();
        Assert.Contains("/ipfs/id/1.0.0", protocols);
        Assert.Contains("/ipfs/ping/1.0.0", protocols);
        Assert.Contains("/mero/echo/1.0.0", protocols);
        var listen = result.GetProperty("listenAddrs").EnumerateArray().Select(p => p.GetString()).ToList();
        Assert.Contains(_host.ListenAddresses[0].ToString(), listen);
    }

    [Fact]
    public async Task CSharpStreamsMegabytesToJsWithFlowControl()
    {
        await _host.DialAsync(_js.Address, Ct);
        await using var stream = await _host.OpenStreamAsync(_js.PeerId, "/mero/sink/1.0.0", Ct);
        const int total = 16 * 1024 * 1024;
        var chunk = new byte[64 * 1024];
        for (var sent = 0; sent < total; sent += chunk.Length)
        {
            await stream.WriteAsync(chunk, Ct);
        }

        await stream.CloseWriteAsync(Ct);
        var count = new byte[8];
        await stream.ReadExactlyAsync(count, Ct);
        Assert.Equal(total, (long)System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(count));
    }

    [Fact]
    public async Task JsStreamsMegabytesToCSharpWithFlowControl()
    {
        var address = _host.ListenAddresses[0].WithPeerId(_host.PeerId);
        await _js.CommandAsync("dial", Ct, address.ToString());
        const int total = 16 * 1024 * 1024;
        var result = await _js.CommandAsync("send", Ct, _host.PeerId.ToString(), "/mero/sink/1.0.0", total.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(total, result.GetProperty("count").GetInt64());
    }

    [Fact]
    public async Task EchoStreamsBothWays()
    {
        await _host.DialAsync(_js.Address, Ct);
        var data = System.Security.Cryptography.RandomNumberGenerator.GetBytes(1024 * 1024);
        await using (var stream = await _host.OpenStreamAsync(_js.PeerId, ["/mero/unknown/1.0.0", "/mero/echo/1.0.0"], Ct))
        {
            Assert.Equal("/mero/echo/1.0.0", stream.Protocol);
            var writing = Task.Run(async () =>
            {
                await stream.WriteAsync(data, Ct);
                await stream.CloseWriteAsync(Ct);
            });
            var received = new MemoryStream();
            await stream.CopyToAsync(received, Ct);
            await writing;
            Assert.Equal(data, received.ToArray());
        }

        var result = await _js.CommandAsync("echo", Ct, _host.PeerId.ToString(), "/mero/echo/1.0.0", "hello", "from", "js");
        Assert.Equal("hello from js", result.GetProperty("reply").GetString());

        var refused = await _js.TryCommandAsync("echo", Ct, _host.PeerId.ToString(), "/mero/unknown/1.0.0", "x");
        Assert.False(refused.GetProperty("ok").GetBoolean());
        Assert.True((await _host.PingAsync(_js.PeerId, Ct)) < TimeSpan.FromSeconds(5));
    }

    private static async Task SinkAsync(Libp2pStream stream, CancellationToken ct)
    {
        var buffer = new byte[64 * 1024];
        long total = 0;
        int n;
        while ((n = await stream.ReadAsync(buffer, ct)) > 0)
        {
            total += n;
        }

        var reply = new byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(reply, (ulong)total);
        await stream.WriteAsync(reply, ct);
        await stream.CloseWriteAsync(ct);
    }

    private async Task<T> ReadEventAsync<T>(System.Threading.Channels.ChannelReader<HostEvent> events)
        where T : HostEvent
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        cts.CancelAfter(Timeout);
        while (true)
        {
            var e = await events.ReadAsync(cts.Token);
            if (e is T match)
            {
                return match;
            }
        }
    }
}
