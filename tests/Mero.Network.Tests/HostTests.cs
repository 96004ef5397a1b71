using System.Security.Cryptography;
using Mero.Crypto;
using Mero.Network.Framing;
using Mero.Network.Host;
using Mero.Network.Noise;
using Mero.Network.Protocols;
using Xunit;
using Xunit.Abstractions;

namespace Mero.Network.Tests;

/// <summary>Two C# hosts on loopback: the whole stack end to end.</summary>
public sealed class HostTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly CancellationTokenSource _cts = new(TimeSpan.FromSeconds(30));
    private readonly Hosts _hosts = new(output);

    private CancellationToken Ct => _cts.Token;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await _hosts.DisposeAsync();
        _cts.Dispose();
    }

    [Fact]
    public async Task DialPingIdentifyBothWays()
    {
        var (a, _) = await _hosts.StartAsync("a", ct: Ct);
        var (b, _) = await _hosts.StartAsync("b", ct: Ct);
        var events = b.SubscribeEvents();

        var connection = await a.DialAsync(b.ListenAddresses[0].WithPeerId(b.PeerId), Ct);
        Assert.Equal(b.PeerId, connection.RemotePeer);

        Assert.True((await a.PingAsync(b.PeerId, Ct)) < TimeSpan.FromSeconds(5));
        Assert.True((await b.PingAsync(a.PeerId, Ct)) < TimeSpan.FromSeconds(5));

        var fromB = await a.IdentifyAsync(b.PeerId, Ct);
        Assert.Equal("mero/0.1", fromB.AgentVersion);
        Assert.Contains(Libp2pHost.PingProtocol, fromB.Protocols);
        Assert.Contains("/mero/echo/1.0.0", fromB.Protocols);
        Assert.Equal(b.ListenAddresses, fromB.ListenAddresses);
        Assert.Equal(connection.LocalAddress, fromB.ObservedAddress);

        // b identified a on its own when the connection opened.
        while (await events.ReadAsync(Ct) is not PeerIdentified { } identified || identified.Peer != a.PeerId)
        {
        }

        Assert.Equal(a.ListenAddresses, b.GetPeerInfo(a.PeerId)!.ListenAddresses);
        Assert.Equal(a.ListenAddresses, b.GetAddresses(a.PeerId));
    }

    [Fact]
    public async Task LargeTransfersOnManyConcurrentStreamsArriveIntact()
    {
        var (a, _) = await _hosts.StartAsync("a", ct: Ct);
        var (b, _) = await _hosts.StartAsync("b", ct: Ct);
        await a.DialAsync(b.ListenAddresses[0].WithPeerId(b.PeerId), Ct);

        async Task EchoAsync(int size)
        {
            var data = RandomNumberGenerator.GetBytes(size);
            await using var stream = await a.OpenStreamAsync(b.PeerId, "/mero/echo/1.0.0", Ct);
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

        await Task.WhenAll(Enumerable.Range(0, 24).Select(i => EchoAsync(i == 0 ? 4 * 1024 * 1024 : 1000 + (i * 37 * 1024))));
    }

    [Fact]
    public async Task NegotiationPicksTheFirstSupportedProtocolAndRefusesUnknownOnes()
    {
        var (a, _) = await _hosts.StartAsync("a", ct: Ct);
        var (b, _) = await _hosts.StartAsync("b", ct: Ct);
        await a.DialAsync(b.ListenAddresses[0].WithPeerId(b.PeerId), Ct);

        await using (var stream = await a.OpenStreamAsync(b.PeerId, ["/mero/unknown/9.9.9", "/mero/echo/1.0.0"], Ct))
        {
            Assert.Equal("/mero/echo/1.0.0", stream.Protocol);
        }

        await Assert.ThrowsAsync<ProtocolNegotiationException>(() => a.OpenStreamAsync(b.PeerId, "/mero/unknown/9.9.9", Ct));
        Assert.True((await a.PingAsync(b.PeerId, Ct)) < TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task LengthPrefixedRequestResponseEnforcesTheSizeLimit()
    {
        var (a, _) = await _hosts.StartAsync("a", ct: Ct);
        var (b, blogs) = await _hosts.StartAsync("b", ct: Ct);
        b.SetHandler("/mero/upper/1.0.0", async (stream, ct) =>
        {
            while (await LengthPrefixed.ReadAsync(stream, 1024, ct) is { } request)
            {
                await LengthPrefixed.WriteAsync(stream, System.Text.Encoding.UTF8.GetBytes(System.Text.Encoding.UTF8.GetString(request).ToUpperInvariant()), ct);
            }
        });
        await a.DialAsync(b.ListenAddresses[0].WithPeerId(b.PeerId), Ct);

        await using (var stream = await a.OpenStreamAsync(b.PeerId, "/mero/upper/1.0.0", Ct))
        {
            await LengthPrefixed.WriteAsync(stream, "hello"u8.ToArray(), Ct);
            Assert.Equal("HELLO"u8.ToArray(), await LengthPrefixed.ReadAsync(stream, 1024, Ct));
            await LengthPrefixed.WriteAsync(stream, "again"u8.ToArray(), Ct);
            Assert.Equal("AGAIN"u8.ToArray(), await LengthPrefixed.ReadAsync(stream, 1024, Ct));
        }

        await using (var stream = await a.OpenStreamAsync(b.PeerId, "/mero/upper/1.0.0", Ct))
        {
            await LengthPrefixed.WriteAsync(stream, new byte[4096], Ct);
            // The handler refuses the oversized request and the stream is reset.
            await Assert.ThrowsAnyAsync<IOException>(() => LengthPrefixed.ReadAsync(stream, 1024, Ct));
        }

        await blogs.WaitForAsync(Microsoft.Extensions.Logging.LogLevel.Debug, "exceeds the limit of 1024", TimeSpan.FromSeconds(5));

        var framed = new MemoryStream();
        await LengthPrefixed.WriteU32Async(framed, new byte[10], Ct);
        framed.Position = 0;
        Assert.Equal(10, (await LengthPrefixed.ReadU32Async(framed, 10, Ct))!.Length);
        framed.Position = 0;
        await Assert.ThrowsAsync<InvalidDataException>(() => LengthPrefixed.ReadU32Async(framed, 9, Ct));
    }

    [Fact]
    public async Task DialWithTheWrongExpectedPeerIdFails()
    {
        var (a, _) = await _hosts.StartAsync("a", ct: Ct);
        var (b, blogs) = await _hosts.StartAsync("b", ct: Ct);
        using var other = Ed25519KeyPair.Generate();
        var wrong = Multiformats.PeerId.FromPublicKey(other.PublicKey);

        var error = await Assert.ThrowsAsync<NoiseException>(() => a.DialAsync(b.ListenAddresses[0].WithPeerId(wrong), Ct));
        Assert.Contains($"remote is {b.PeerId}, expected {wrong}", error.Message);
        Assert.Empty(a.Connections);

        // The right id still works.
        await a.DialAsync(b.ListenAddresses[0].WithPeerId(b.PeerId), Ct);
        await blogs.WaitForAsync(Microsoft.Extensions.Logging.LogLevel.Warning, "handshake failed", TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task HalfCloseLetsTheOtherSideKeepWriting()
    {
        var (a, _) = await _hosts.StartAsync("a", ct: Ct);
        var (b, _) = await _hosts.StartAsync("b", ct: Ct);
        b.SetHandler("/mero/count/1.0.0", async (stream, ct) =>
        {
            var total = 0L;
            var buffer = new byte[8192];
            int n;
            while ((n = await stream.ReadAsync(buffer, ct)) > 0)
            {
                total += n;
            }

            // The requester already closed its side; the answer still flows back.
            await LengthPrefixed.WriteAsync(stream, BitConverter.GetBytes(total), ct);
            await stream.CloseWriteAsync(ct);
        });
        await a.DialAsync(b.ListenAddresses[0].WithPeerId(b.PeerId), Ct);
        await using var stream = await a.OpenStreamAsync(b.PeerId, "/mero/count/1.0.0", Ct);
        await stream.WriteAsync(new byte[700_000], Ct);
        await stream.CloseWriteAsync(Ct);
        var answer = await LengthPrefixed.ReadAsync(stream, 8, Ct);
        Assert.Equal(700_000L, BitConverter.ToInt64(answer));
        Assert.Equal(0, await stream.ReadAsync(new byte[1], Ct));
    }

    [Fact]
    public async Task ConnectionLimitsRefuseExtraConnections()
    {
        var (a, alogs) = await _hosts.StartAsync("a", new Libp2pHostOptions { MaxConnectionsPerPeer = 1, MaxConnections = 2 }, Ct);
        var (b, _) = await _hosts.StartAsync("b", ct: Ct);
        var (c, _) = await _hosts.StartAsync("c", ct: Ct);
        var (d, _) = await _hosts.StartAsync("d", ct: Ct);
        var target = a.ListenAddresses[0].WithPeerId(a.PeerId);

        await b.DialAsync(target, Ct);
        await b.DialAsync(target, Ct); // b sees a handshake succeed; a refuses to register it
        await alogs.WaitForAsync(Microsoft.Extensions.Logging.LogLevel.Warning, "1 connections to this peer already (limit 1)", TimeSpan.FromSeconds(5));

        await c.DialAsync(target, Ct);
        await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await d.DialAsync(target, Ct);
            await d.PingAsync(a.PeerId, Ct);
        });
        await alogs.WaitForAsync(Microsoft.Extensions.Logging.LogLevel.Warning, "connection limit 2 reached", TimeSpan.FromSeconds(5));

        Assert.Equal(2, a.Connections.Count);
        Assert.True((await b.PingAsync(a.PeerId, Ct)) < TimeSpan.FromSeconds(5));
        Assert.True((await c.PingAsync(a.PeerId, Ct)) < TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task IdleConnectionsAreClosed()
    {
        var options = new Libp2pHostOptions { IdleTimeout = TimeSpan.FromMilliseconds(600), PingInterval = TimeSpan.FromMilliseconds(100) };
        var (a, _) = await _hosts.StartAsync("a", options, Ct);
        var (b, _) = await _hosts.StartAsync("b", ct: Ct);
        var connection = await a.DialAsync(b.ListenAddresses[0].WithPeerId(b.PeerId), Ct);

        // Keep-alive pings run all along but do not count as activity.
        var reason = await connection.Closed.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        Assert.StartsWith("idle for", reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task KeepAlivePingsAnswerWhileAStreamIsOpen()
    {
        var options = new Libp2pHostOptions { IdleTimeout = TimeSpan.FromMilliseconds(500), PingInterval = TimeSpan.FromMilliseconds(100) };
        var (a, _) = await _hosts.StartAsync("a", options, Ct);
        var (b, _) = await _hosts.StartAsync("b", options, Ct);
        var connection = await a.DialAsync(b.ListenAddresses[0].WithPeerId(b.PeerId), Ct);
        await using var stream = await a.OpenStreamAsync(b.PeerId, "/mero/echo/1.0.0", Ct);
        await Task.Delay(1500, Ct);
        Assert.False(connection.IsClosed, connection.Session.CloseReason);
    }
}
