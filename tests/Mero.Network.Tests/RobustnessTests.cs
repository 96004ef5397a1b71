using System.Buffers.Binary;
using System.Security.Cryptography;
using Mero.Crypto;
using Mero.Network.Host;
using Mero.Network.Multiformats;
using Mero.Network.Noise;
using Mero.Network.Yamux;
using Microsoft.Extensions.Logging;
using Xunit;
using Xunit.Abstractions;

namespace Mero.Network.Tests;

/// <summary>
/// Peers that break the rules. Each must be dropped with a logged reason while a well-behaved
/// peer connected to the same host keeps working.
/// </summary>
public sealed class RobustnessTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    /// <summary>Short enough for the stalled-handshake test, long enough for an honest dial on a loaded CI machine.</summary>
    private static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(8);

    private readonly CancellationTokenSource _cts = new(TimeSpan.FromSeconds(90));
    private readonly Hosts _hosts = new(output);
    private Libp2pHost _target = null!;
    private TestLoggerFactory _logs = null!;
    private Libp2pHost _good = null!;

    private CancellationToken Ct => _cts.Token;

    private Multiaddr TargetAddress => _target.ListenAddresses[0];

    public Task InitializeAsync() => StartAsync(new Libp2pHostOptions());

    private async Task StartAsync(Libp2pHostOptions options)
    {
        (_target, _logs) = await _hosts.StartAsync("target", options with { HandshakeTimeout = HandshakeTimeout }, Ct);
        (_good, _) = await _hosts.StartAsync("good", ct: Ct);
        await _good.DialAsync(TargetAddress.WithPeerId(_target.PeerId), Ct);
    }

    private async Task RestartAsync(Libp2pHostOptions options)
    {
        await _hosts.DisposeAsync();
        await StartAsync(options);
    }

    public async Task DisposeAsync()
    {
        await _hosts.DisposeAsync();
        _cts.Dispose();
    }

    /// <summary>The well-behaved peer still pings and echoes through the target.</summary>
    private async Task AssertGoodPeerUnaffectedAsync()
    {
        Assert.True(await _good.PingAsync(_target.PeerId, Ct) < TimeSpan.FromSeconds(5));
        await using var stream = await _good.OpenStreamAsync(_target.PeerId, "/mero/echo/1.0.0", Ct);
        await stream.WriteAsync("still here"u8.ToArray(), Ct);
        await stream.CloseWriteAsync(Ct);
        var reply = new MemoryStream();
        await stream.CopyToAsync(reply, Ct);
        Assert.Equal("still here"u8.ToArray(), reply.ToArray());
        Assert.Contains(_target.Connections, c => c.RemotePeer == _good.PeerId);
    }

    [Fact]
    public async Task TruncatedNoiseFrameIsDropped()
    {
        await using var raw = await RawPeer.ConnectAsync(TargetAddress, Ct);
        await raw.SelectNoiseAsync(Ct);
        await raw.SendRawAsync([0x03, 0xE8, .. new byte[10]], Ct); // announces 1000 bytes, sends 10
        raw.Transport.Socket.Shutdown(System.Net.Sockets.SocketShutdown.Send);

        await _logs.WaitForAsync(LogLevel.Warning, "connection closed after 10 of 1000 frame bytes (truncated frame)", Wait);
        await AssertGoodPeerUnaffectedAsync();
    }

    [Fact]
    public async Task OversizedNoiseHandshakeFrameIsDropped()
    {
        await using var raw = await RawPeer.ConnectAsync(TargetAddress, Ct);
        await raw.SelectNoiseAsync(Ct);
        await raw.SendRawAsync([0xFF, 0xFF, .. RandomNumberGenerator.GetBytes(65535)], Ct);

        await _logs.WaitForAsync(LogLevel.Warning, "first handshake message of 65535 bytes exceeds", Wait);
        Assert.True(await raw.WaitForCloseAsync(Wait, Ct));
        await AssertGoodPeerUnaffectedAsync();
    }

    [Fact]
    public async Task GarbageInsteadOfAHandshakeIsDropped()
    {
        await using var raw = await RawPeer.ConnectAsync(TargetAddress, Ct);
        await raw.SendRawAsync(RandomNumberGenerator.GetBytes(300), Ct);
        Assert.True(await raw.WaitForCloseAsync(Wait, Ct));
        await _logs.WaitForAsync(LogLevel.Warning, "Rejected inbound connection", Wait);

        await using var raw2 = await RawPeer.ConnectAsync(TargetAddress, Ct);
        await raw2.SelectNoiseAsync(Ct);
        await raw2.SendRawAsync([0x00, 0x20, .. RandomNumberGenerator.GetBytes(32)], Ct); // a random "ephemeral key"
        await raw2.SendRawAsync([0x00, 0x60, .. RandomNumberGenerator.GetBytes(96)], Ct); // then a garbage third message
        await _logs.WaitForAsync(LogLevel.Warning, "frame failed authentication", Wait);
        Assert.True(await raw2.WaitForCloseAsync(Wait, Ct));
        await AssertGoodPeerUnaffectedAsync();
    }

    [Fact]
    public async Task WrongIdentitySignatureIsDropped()
    {
        // A peer claims identity A but signs its static key with key B.
        using var claimed = Ed25519KeyPair.Generate();
        using var signer = Ed25519KeyPair.Generate();
        using var forged = new NoiseIdentity(PeerId.FromPublicKey(claimed.PublicKey), staticKey =>
            new NoiseHandshakePayload(
                Libp2pPublicKey.FromEd25519(claimed.PublicKey).ToProtobuf(),
                signer.Sign([.. "noise-libp2p-static-key:"u8.ToArray(), .. staticKey]),
                []).ToProtobuf());
        await using var raw = await RawPeer.ConnectAsync(TargetAddress, Ct);
        await raw.SelectNoiseAsync(Ct);
        try
        {
            await NoiseHandshake.InitiateAsync(raw.Transport, forged, _target.PeerId, Ct);
        }
        catch (IOException)
        {
        }

        await _logs.WaitForAsync(LogLevel.Warning, "identity signature over the static key does not verify", Wait);
        Assert.DoesNotContain(_target.Connections, c => c.RemotePeer == forged.PeerId);
        await AssertGoodPeerUnaffectedAsync();
    }

    [Fact]
    public async Task StalledHandshakeTimesOut()
    {
        await using var raw = await RawPeer.ConnectAsync(TargetAddress, Ct);
        await raw.SelectNoiseAsync(Ct); // then silence
        await _logs.WaitForAsync(LogLevel.Warning, $"did not finish within {HandshakeTimeout.TotalSeconds} s", Wait);
        Assert.True(await raw.WaitForCloseAsync(Wait, Ct));
        await AssertGoodPeerUnaffectedAsync();
    }

    [Fact]
    public async Task CorruptedTransportFrameDropsTheConnection()
    {
        await using var raw = await RawPeer.ConnectAsync(TargetAddress, Ct);
        await raw.HandshakeAsync(Ct);
        await raw.SendRawAsync([0x00, 0x20, .. RandomNumberGenerator.GetBytes(32)], Ct); // not sealed with the session key
        await _logs.WaitForAsync(LogLevel.Warning, "frame failed authentication", Wait);
        Assert.True(await raw.WaitForCloseAsync(Wait, Ct));

        await using var raw2 = await RawPeer.ConnectAsync(TargetAddress, Ct);
        await raw2.HandshakeAsync(Ct);
        await raw2.SendRawAsync([0x00, 0x05, 1, 2, 3, 4, 5], Ct); // shorter than the 16-byte tag
        await _logs.WaitForAsync(LogLevel.Warning, "shorter than its 16-byte tag", Wait);
        Assert.True(await raw2.WaitForCloseAsync(Wait, Ct));
        await AssertGoodPeerUnaffectedAsync();
    }

    [Fact]
    public async Task YamuxFrameLargerThanTheWindowIsDropped()
    {
        await using var raw = await RawPeer.ConnectAsync(TargetAddress, Ct);
        await raw.HandshakeAsync(Ct);
        await raw.OpenStreamAsync(1, "/mero/echo/1.0.0", Ct);
        await raw.SendFrameAsync(0, 0, 1, 16 * 1024 * 1024, null, Ct); // header only: announces 16 MiB
        await _logs.WaitForAsync(LogLevel.Warning, "data frame of 16777216 bytes exceeds the receive window of 262144", Wait);
        Assert.True(await raw.WaitForCloseAsync(Wait, Ct));
        await AssertGoodPeerUnaffectedAsync();
    }

    [Fact]
    public async Task YamuxDataBeyondTheGrantedWindowIsDropped()
    {
        var never = new TaskCompletionSource();
        _target.SetHandler("/test/never-reads/1.0.0", (stream, ct) => never.Task.WaitAsync(ct));
        await using var raw = await RawPeer.ConnectAsync(TargetAddress, Ct);
        await raw.HandshakeAsync(Ct);
        await raw.OpenStreamAsync(1, "/test/never-reads/1.0.0", Ct);
        var chunk = new byte[200 * 1024];
        await raw.SendFrameAsync(0, 0, 1, (uint)chunk.Length, chunk, Ct);
        await raw.SendFrameAsync(0, 0, 1, (uint)chunk.Length, chunk, Ct); // 400 KiB + proposal > 256 KiB window
        await _logs.WaitForAsync(LogLevel.Warning, "with only", Wait);
        Assert.True(_logs.Contains(LogLevel.Warning, "bytes of receive window left"));
        Assert.True(await raw.WaitForCloseAsync(Wait, Ct));
        await AssertGoodPeerUnaffectedAsync();
    }

    [Fact]
    public async Task StreamFloodIsDropped()
    {
        await RestartAsync(new Libp2pHostOptions { Yamux = new YamuxOptions { MaxStreams = 16, MaxRefusedStreams = 8 } });
        await using var raw = await RawPeer.ConnectAsync(TargetAddress, Ct);
        await raw.HandshakeAsync(Ct);
        for (uint i = 0; i < 40; i++)
        {
            await raw.SendFrameAsync(1, 1, (2 * i) + 1, 0, null, Ct, flush: false); // SYN only: streams stay open
        }

        await raw.Secure!.FlushAsync(Ct);
        await _logs.WaitForAsync(LogLevel.Warning, "refused inbound stream", Wait);
        await _logs.WaitForAsync(LogLevel.Warning, "stream flood: 9 streams refused (16 streams open (limit 16))", Wait);
        Assert.True(await raw.WaitForCloseAsync(Wait, Ct));
        await AssertGoodPeerUnaffectedAsync();
    }

    [Fact]
    public async Task ProtocolViolationsAreDropped()
    {
        // Stream id of the wrong parity (the listener's even ids).
        await using (var raw = await RawPeer.ConnectAsync(TargetAddress, Ct))
        {
            await raw.HandshakeAsync(Ct);
            await raw.SendFrameAsync(1, 1, 2, 0, null, Ct);
            await _logs.WaitForAsync(LogLevel.Warning, "peer opened stream 2 with this side's parity", Wait);
            Assert.True(await raw.WaitForCloseAsync(Wait, Ct));
        }

        // Unknown frame type.
        await using (var raw = await RawPeer.ConnectAsync(TargetAddress, Ct))
        {
            await raw.HandshakeAsync(Ct);
            await raw.SendFrameAsync(9, 0, 0, 0, null, Ct);
            await _logs.WaitForAsync(LogLevel.Warning, "unknown yamux frame type 9", Wait);
            Assert.True(await raw.WaitForCloseAsync(Wait, Ct));
        }

        await AssertGoodPeerUnaffectedAsync();
    }

    [Fact]
    public async Task WriterToAPeerThatStopsReadingGetsBackPressureThenAReset()
    {
        await RestartAsync(new Libp2pHostOptions { Yamux = new YamuxOptions { WriteTimeout = TimeSpan.FromSeconds(1) } });
        var never = new TaskCompletionSource();
        _good.SetHandler("/test/never-reads/1.0.0", (stream, ct) => never.Task.WaitAsync(ct));
        var written = 0L;
        var handlerError = new TaskCompletionSource<Exception>();
        _target.SetHandler("/test/source/1.0.0", async (stream, ct) =>
        {
            try
            {
                var chunk = new byte[16 * 1024];
                while (true)
                {
                    await stream.WriteAsync(chunk, ct);
                    Interlocked.Add(ref written, chunk.Length);
                }
            }
            catch (Exception ex)
            {
                handlerError.TrySetResult(ex);
                throw;
            }
        });

        // The good peer opens a source stream and never reads it.
        var stream = await _good.OpenStreamAsync(_target.PeerId, "/test/source/1.0.0", Ct);
        var error = await handlerError.Task.WaitAsync(Wait, Ct);
        Assert.IsType<YamuxStreamResetException>(error);
        Assert.Contains("peer stopped reading", error.Message, StringComparison.Ordinal);
        Assert.InRange(Interlocked.Read(ref written), 0, YamuxOptions.InitialStreamWindow); // no more than the window was accepted
        await _logs.WaitForAsync(LogLevel.Warning, "resetting stream", Wait);
        GC.KeepAlive(stream);

        // The connection itself is fine.
        await AssertGoodPeerUnaffectedAsync();
    }

    [Fact]
    public async Task PeerThatStopsReadingTheConnectionIsDropped()
    {
        await RestartAsync(new Libp2pHostOptions
        {
            Yamux = new YamuxOptions { TransportWriteTimeout = TimeSpan.FromSeconds(1), MaxSendFrame = 16 * 1024, MaxQueuedBytes = 64 * 1024, MaxQueuedBytesHardLimit = 128 * 1024 },
        });
        _target.SetHandler("/test/source/1.0.0", async (stream, ct) =>
        {
            var chunk = new byte[64 * 1024];
            while (true)
            {
                await stream.WriteAsync(chunk, ct);
            }
        });

        // The raw peer grants a huge window but never reads its socket.
        await using var raw = await RawPeer.ConnectAsync(TargetAddress, Ct, receiveBuffer: 4096);
        await raw.HandshakeAsync(Ct);
        await raw.OpenStreamAsync(1, "/test/source/1.0.0", Ct);
        await raw.SendFrameAsync(1, 0, 1, 1024 * 1024 * 1024, null, Ct);
        var process = System.Diagnostics.Process.GetCurrentProcess();
        await _logs.WaitForAsync(LogLevel.Warning, "peer does not read", Wait);
        await AssertGoodPeerUnaffectedAsync();
        process.Refresh();
        output.WriteLine($"working set after the stalled peer: {process.WorkingSet64 / (1024 * 1024)} MiB");
    }
}
