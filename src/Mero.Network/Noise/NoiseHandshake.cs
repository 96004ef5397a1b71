using System.Buffers.Binary;
using System.Text;
using Mero.Crypto;
using Mero.Network.Multiformats;
using NSec.Cryptography;

namespace Mero.Network.Noise;

/// <summary>
/// The local side of libp2p Noise: the identity key, a static X25519 key, and the handshake
/// payload proving the identity owns the static key
/// (<c>identity_sig = Ed25519 sign("noise-libp2p-static-key:" ‖ static public key)</c>).
/// </summary>
public sealed class NoiseIdentity : IDisposable
{
    internal static readonly byte[] SignaturePrefix = Encoding.ASCII.GetBytes("noise-libp2p-static-key:");

    public NoiseIdentity(Ed25519KeyPair identity)
    {
        StaticKey = Key.Create(KeyAgreementAlgorithm.X25519);
        StaticPublic = StaticKey.PublicKey.Export(KeyBlobFormat.RawPublicKey);
        PeerId = PeerId.FromPublicKey(identity.PublicKey);
        Payload = new NoiseHandshakePayload(
            Libp2pPublicKey.FromEd25519(identity.PublicKey).ToProtobuf(),
            identity.Sign([.. SignaturePrefix, .. StaticPublic]),
            []).ToProtobuf();
    }

    /// <summary>For tests: an identity whose payload is supplied verbatim (for example a forged one).</summary>
    internal NoiseIdentity(PeerId peerId, Func<byte[], byte[]> payloadForStaticKey)
    {
        StaticKey = Key.Create(KeyAgreementAlgorithm.X25519);
        StaticPublic = StaticKey.PublicKey.Export(KeyBlobFormat.RawPublicKey);
        PeerId = peerId;
        Payload = payloadForStaticKey(StaticPublic);
    }

    public PeerId PeerId { get; }

    internal Key StaticKey { get; }

    internal byte[] StaticPublic { get; }

    internal byte[] Payload { get; }

    public void Dispose() => StaticKey.Dispose();
}

/// <summary>
/// Noise XX (<c>Noise_XX_25519_ChaChaPoly_SHA256</c>, empty prologue) with the libp2p payload, over
/// 2-byte big-endian length-prefixed frames:
/// <c>-> e</c>; <c>&lt;- e, ee, s, es, payload</c>; <c>-> s, se, payload</c>.
/// Each side verifies the other's identity signature over its static key and derives its PeerId;
/// the initiator may pin the PeerId it meant to reach.
/// </summary>
public static class NoiseHandshake
{
    public const string ProtocolId = "/noise";

    private const int DhLength = 32;
    private const int MaxPayloadLength = 8 * 1024;
    private static readonly byte[] ProtocolName = Encoding.ASCII.GetBytes("Noise_XX_25519_ChaChaPoly_SHA256");

    public static async Task<NoiseSecureStream> InitiateAsync(Stream transport, NoiseIdentity local, PeerId? expectedRemote, CancellationToken ct)
    {
        using var state = new SymmetricState(ProtocolName);
        state.MixHash([]);
        using var ephemeral = Key.Create(KeyAgreementAlgorithm.X25519);
        var ephemeralPublic = ephemeral.PublicKey.Export(KeyBlobFormat.RawPublicKey);
        var reader = new NoiseFrameReader(transport);
        var buffer = new byte[NoiseFrameReader.MaxFrameLength + 2];

        // -> e
        state.MixHash(ephemeralPublic);
        var length = ephemeralPublic.Length;
        ephemeralPublic.CopyTo(buffer, 2);
        length += state.EncryptAndHash([], buffer.AsSpan(2 + length));
        await WriteFrameAsync(transport, buffer, length, ct).ConfigureAwait(false);

        // <- e, ee, s, es, payload
        var message = await ReadHandshakeFrameAsync(reader, DhLength + DhLength + CipherState.TagLength + CipherState.TagLength, "second", ct).ConfigureAwait(false);
        var remoteEphemeral = message[..DhLength].ToArray();
        state.MixHash(remoteEphemeral);
        state.MixKey(Agree(ephemeral, remoteEphemeral));
        var remoteStatic = new byte[DhLength];
        state.DecryptAndHash(message.Span.Slice(DhLength, DhLength + CipherState.TagLength), remoteStatic);
        state.MixKey(Agree(ephemeral, remoteStatic));
        var payloadBytes = new byte[message.Length - (2 * DhLength) - CipherState.TagLength];
        var payloadLength = state.DecryptAndHash(message.Span[((2 * DhLength) + CipherState.TagLength)..], payloadBytes);
        var remotePeer = VerifyPayload(payloadBytes.AsSpan(0, payloadLength), remoteStatic);
        if (expectedRemote is not null && remotePeer != expectedRemote)
        {
            throw new NoiseException($"remote is {remotePeer}, expected {expectedRemote}");
        }

        // -> s, se, payload
        length = state.EncryptAndHash(local.StaticPublic, buffer.AsSpan(2));
        state.MixKey(Agree(local.StaticKey, remoteEphemeral));
        length += state.EncryptAndHash(local.Payload, buffer.AsSpan(2 + length));
        await WriteFrameAsync(transport, buffer, length, ct).ConfigureAwait(false);

        var (send, receive) = state.Split();
        return new NoiseSecureStream(transport, reader, send, receive, remotePeer);
    }

    public static async Task<NoiseSecureStream> RespondAsync(Stream transport, NoiseIdentity local, CancellationToken ct)
    {
        using var state = new SymmetricState(ProtocolName);
        state.MixHash([]);
        using var ephemeral = Key.Create(KeyAgreementAlgorithm.X25519);
        var ephemeralPublic = ephemeral.PublicKey.Export(KeyBlobFormat.RawPublicKey);
        var reader = new NoiseFrameReader(transport);
        var buffer = new byte[NoiseFrameReader.MaxFrameLength + 2];

        // -> e (libp2p sends no payload here: it would travel unencrypted)
        var message = await ReadHandshakeFrameAsync(reader, DhLength, "first", ct).ConfigureAwait(false);
        if (message.Length != DhLength)
        {
            throw new NoiseException($"first handshake message of {message.Length} bytes, expected {DhLength}");
        }

        var remoteEphemeral = message.ToArray();
        state.MixHash(remoteEphemeral);
        state.DecryptAndHash([], buffer);

        // <- e, ee, s, es, payload
        state.MixHash(ephemeralPublic);
        ephemeralPublic.CopyTo(buffer, 2);
        var length = DhLength;
        state.MixKey(Agree(ephemeral, remoteEphemeral));
        length += state.EncryptAndHash(local.StaticPublic, buffer.AsSpan(2 + length));
        state.MixKey(Agree(local.StaticKey, remoteEphemeral));
        length += state.EncryptAndHash(local.Payload, buffer.AsSpan(2 + length));
        await WriteFrameAsync(transport, buffer, length, ct).ConfigureAwait(false);

        // -> s, se, payload
        message = await ReadHandshakeFrameAsync(reader, DhLength + CipherState.TagLength + CipherState.TagLength, "third", ct).ConfigureAwait(false);
        var remoteStatic = new byte[DhLength];
        state.DecryptAndHash(message.Span[..(DhLength + CipherState.TagLength)], remoteStatic);
        state.MixKey(Agree(ephemeral, remoteStatic));
        var payloadBytes = new byte[message.Length - DhLength - CipherState.TagLength];
        var payloadLength = state.DecryptAndHash(message.Span[(DhLength + CipherState.TagLength)..], payloadBytes);
        var remotePeer = VerifyPayload(payloadBytes.AsSpan(0, payloadLength), remoteStatic);

        var (receive, send) = state.Split();
        return new NoiseSecureStream(transport, reader, send, receive, remotePeer);
    }

    private static PeerId VerifyPayload(ReadOnlySpan<byte> bytes, byte[] remoteStatic)
    {
        if (bytes.Length > MaxPayloadLength)
        {
            throw new NoiseException($"handshake payload of {bytes.Length} bytes exceeds {MaxPayloadLength}");
        }

        var payload = NoiseHandshakePayload.FromProtobuf(bytes);
        Libp2pPublicKey key;
        try
        {
            key = Libp2pPublicKey.FromProtobuf(payload.IdentityKey);
        }
        catch (FormatException ex)
        {
            throw new NoiseException("handshake identity key: " + ex.Message);
        }

        if (key.Type != Libp2pKeyType.Ed25519)
        {
            throw new NoiseException($"identity key type {key.Type} is not supported (only Ed25519)");
        }

        if (!key.Verify([.. NoiseIdentity.SignaturePrefix, .. remoteStatic], payload.IdentitySignature))
        {
            throw new NoiseException("identity signature over the static key does not verify");
        }

        return key.ToPeerId();
    }

    private static byte[] Agree(Key privateKey, byte[] remotePublic)
    {
        var remote = NSec.Cryptography.PublicKey.Import(KeyAgreementAlgorithm.X25519, remotePublic, KeyBlobFormat.RawPublicKey);
        using var secret = KeyAgreementAlgorithm.X25519.Agree(privateKey, remote, new SharedSecretCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport })
            ?? throw new NoiseException("remote sent a low-order X25519 key");
        return secret.Export(SharedSecretBlobFormat.RawSharedSecret);
    }

    private static async ValueTask<ReadOnlyMemory<byte>> ReadHandshakeFrameAsync(NoiseFrameReader reader, int minimum, string which, CancellationToken ct)
    {
        var frame = await reader.ReadFrameAsync(ct).ConfigureAwait(false)
            ?? throw new NoiseException($"connection closed before the {which} handshake message");
        if (frame.Length < minimum)
        {
            throw new NoiseException($"{which} handshake message of {frame.Length} bytes is shorter than {minimum}");
        }

        if (frame.Length > minimum + MaxPayloadLength)
        {
            throw new NoiseException($"{which} handshake message of {frame.Length} bytes exceeds {minimum + MaxPayloadLength} (payload limit {MaxPayloadLength})");
        }

        return frame;
    }

    private static async Task WriteFrameAsync(Stream transport, byte[] buffer, int length, CancellationToken ct)
    {
        BinaryPrimitives.WriteUInt16BigEndian(buffer, checked((ushort)length));
        await transport.WriteAsync(buffer.AsMemory(0, 2 + length), ct).ConfigureAwait(false);
        await transport.FlushAsync(ct).ConfigureAwait(false);
    }
}
