using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;
using Mero.Crypto;
using Mero.Network.Multiformats;
using Mero.Network.Noise;
using Mero.Network.Protocols;

namespace Mero.Network.Tests;

/// <summary>
/// A misbehaving peer for robustness tests: it speaks the handshake correctly (or not, on request)
/// and then writes raw Yamux frames, so it can break any rule the host must enforce.
/// </summary>
public sealed class RawPeer : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly Ed25519KeyPair _key;
    private readonly NoiseIdentity _identity;

    private RawPeer(Socket socket)
    {
        _socket = socket;
        _key = Ed25519KeyPair.Generate();
        _identity = new NoiseIdentity(_key);
        Transport = new NetworkStream(socket, ownsSocket: false);
    }

    public NetworkStream Transport { get; }

    public NoiseSecureStream? Secure { get; private set; }

    public PeerId PeerId => _identity.PeerId;

    public static async Task<RawPeer> ConnectAsync(Multiaddr address, CancellationToken ct, int? receiveBuffer = null)
    {
        address.TryGetTcpEndPoint(out var endPoint);
        var socket = new Socket(endPoint!.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        if (receiveBuffer is { } size)
        {
            socket.ReceiveBufferSize = size;
        }

        await socket.ConnectAsync(endPoint, ct);
        return new RawPeer(socket);
    }

    /// <summary>multistream /noise, Noise XX as initiator, multistream /yamux/1.0.0.</summary>
    public async Task HandshakeAsync(CancellationToken ct)
    {
        await MultistreamSelect.SelectAsync(Transport, [NoiseHandshake.ProtocolId], ct);
        Secure = await NoiseHandshake.InitiateAsync(Transport, _identity, null, ct);
        await MultistreamSelect.SelectAsync(Secure, ["/yamux/1.0.0"], ct);
    }

    public async Task SelectNoiseAsync(CancellationToken ct) => await MultistreamSelect.SelectAsync(Transport, [NoiseHandshake.ProtocolId], ct);

    public async Task SendRawAsync(byte[] bytes, CancellationToken ct)
    {
        await Transport.WriteAsync(bytes, ct);
        await Transport.FlushAsync(ct);
    }

    public async Task SendFrameAsync(byte type, ushort flags, uint streamId, uint length, byte[]? payload, CancellationToken ct, bool flush = true)
    {
        var header = new byte[12];
        header[1] = type;
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(2), flags);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(4), streamId);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(8), length);
        await Secure!.WriteAsync(header, ct);
        if (payload is not null)
        {
            await Secure.WriteAsync(payload, ct);
        }

        if (flush)
        {
            await Secure.FlushAsync(ct);
        }
    }

    /// <summary>Reads the next Yamux frame header (type, flags, stream id, length) and its Data payload.</summary>
    public async Task<(byte Type, ushort Flags, uint StreamId, uint Length, byte[] Payload)> ReadFrameAsync(CancellationToken ct)
    {
        var header = new byte[12];
        await Secure!.ReadExactlyAsync(header, ct);
        var length = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(8));
        var payload = header[1] == 0 ? new byte[length] : [];
        await Secure.ReadExactlyAsync(payload, ct);
        return (header[1], BinaryPrimitives.ReadUInt16BigEndian(header.AsSpan(2)), BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(4)), length, payload);
    }

    /// <summary>Opens stream <paramref name="id"/> (SYN) and sends a lazy multistream proposal for <paramref name="protocol"/>.</summary>
    public async Task OpenStreamAsync(uint id, string protocol, CancellationToken ct, bool flush = true)
    {
        await SendFrameAsync(1, 1, id, 0, null, ct, flush: false);
        var proposal = Multistream("/multistream/1.0.0", protocol);
        await SendFrameAsync(0, 0, id, (uint)proposal.Length, proposal, ct, flush);
    }

    public static byte[] Multistream(params string[] messages)
    {
        var bytes = new List<byte>();
        foreach (var message in messages)
        {
            var body = Encoding.UTF8.GetBytes(message + "\n");
            bytes.AddRange(Varint.Encode((ulong)body.Length));
            bytes.AddRange(body);
        }

        return [.. bytes];
    }

    /// <summary>True once the host has closed the TCP connection (reads hit end of stream or a reset).</summary>
    public async Task<bool> WaitForCloseAsync(TimeSpan timeout, CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var n = Secure is null
                    ? await Transport.ReadAsync(buffer, cts.Token)
                    : await Secure.ReadAsync(buffer, cts.Token);
                if (n == 0)
                {
                    return true;
                }
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return false;
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
            return true;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Secure is not null)
        {
            await Secure.DisposeAsync();
        }

        await Transport.DisposeAsync();
        _socket.Dispose();
        _identity.Dispose();
        _key.Dispose();
    }
}
