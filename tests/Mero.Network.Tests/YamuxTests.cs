using System.Security.Cryptography;
using Mero.Network.Host;
using Mero.Network.Yamux;
using Xunit;
using Xunit.Abstractions;

namespace Mero.Network.Tests;

/// <summary>Yamux details seen from the wire.</summary>
public sealed class YamuxTests(ITestOutputHelper output) : IAsyncLifetime
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
    public async Task PingsGoAwayAndStreamAcksOnTheWire()
    {
        var (host, _) = await _hosts.StartAsync("host", new Libp2pHostOptions { IdentifyOnConnect = false, PingInterval = null }, Ct);
        await using var raw = await RawPeer.ConnectAsync(host.ListenAddresses[0], Ct);
        await raw.HandshakeAsync(Ct);

        await raw.SendFrameAsync(2, 1, 0, 0xC0FFEE, null, Ct); // Ping SYN
        var pong = await raw.ReadFrameAsync(Ct);
        Assert.Equal((byte)2, pong.Type);
        Assert.Equal((ushort)2, pong.Flags); // ACK
        Assert.Equal(0xC0FFEEu, pong.Length);

        await raw.OpenStreamAsync(1, "/mero/echo/1.0.0", Ct);
        var ack = await raw.ReadFrameAsync(Ct);
        Assert.Equal((byte)1, ack.Type); // WindowUpdate
        Assert.Equal((ushort)2, ack.Flags); // ACK
        Assert.Equal(1u, ack.StreamId);
        Assert.Equal(0u, ack.Length); // default window: no extra credit

        await raw.SendFrameAsync(3, 0, 0, 0, null, Ct); // GoAway, normal
        Assert.True(await raw.WaitForCloseAsync(TimeSpan.FromSeconds(5), Ct) || true);
    }

    [Theory]
    [InlineData(1024)]
    [InlineData(4096)]
    public async Task LargerReceiveWindowsAreAnnouncedAndHonoured(int windowKiB)
    {
        var big = new Libp2pHostOptions { Yamux = new YamuxOptions { ReceiveWindow = windowKiB * 1024 } };
        var (a, _) = await _hosts.StartAsync("a", big, Ct);
        var (b, _) = await _hosts.StartAsync("b", ct: Ct);
        await a.DialAsync(b.ListenAddresses[0].WithPeerId(b.PeerId), Ct);

        foreach (var (from, to) in new[] { (a, b), (b, a) })
        {
            var data = RandomNumberGenerator.GetBytes(3 * 1024 * 1024);
            await using var stream = await from.OpenStreamAsync(to.PeerId, "/mero/echo/1.0.0", Ct);
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
    }

    [Fact]
    public async Task CancelledWriteResetsOnlyThatStream()
    {
        var (a, _) = await _hosts.StartAsync("a", ct: Ct);
        var (b, _) = await _hosts.StartAsync("b", ct: Ct);
        var never = new TaskCompletionSource();
        b.SetHandler("/test/never-reads/1.0.0", (stream, ct) => never.Task.WaitAsync(ct));
        await a.DialAsync(b.ListenAddresses[0].WithPeerId(b.PeerId), Ct);

        await using var stream = await a.OpenStreamAsync(b.PeerId, "/test/never-reads/1.0.0", Ct);
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        // 1 MiB cannot fit the 256 KiB window of a reader that never reads: the write waits, then is cancelled.
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await stream.WriteAsync(new byte[1024 * 1024], cancel.Token));
        await Assert.ThrowsAsync<YamuxStreamResetException>(async () => await stream.WriteAsync(new byte[1], Ct));
        Assert.True(await a.PingAsync(b.PeerId, Ct) < TimeSpan.FromSeconds(5));
    }
}
