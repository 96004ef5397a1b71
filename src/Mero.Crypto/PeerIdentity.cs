using Mero.Primitives;

namespace Mero.Crypto;

/// <summary>
/// The node's libp2p identity in libp2p's own encodings: the keypair as a protobuf PrivateKey
/// (type Ed25519, data = seed ‖ public key) and the PeerId as the identity multihash of the
/// protobuf PublicKey, both base58, as upstream writes them into config.toml.
/// </summary>
public static class PeerIdentity
{
    // protobuf: field 1 (KeyType) varint 1 = Ed25519; field 2 (Data) length-delimited.
    private static readonly byte[] PrivateKeyPrefix = [0x08, 0x01, 0x12, 0x40];
    private static readonly byte[] PublicKeyPrefix = [0x08, 0x01, 0x12, 0x20];

    public static string EncodeKeypair(Ed25519KeyPair key)
    {
        var bytes = new byte[PrivateKeyPrefix.Length + 64];
        PrivateKeyPrefix.CopyTo(bytes, 0);
        key.ExportSeed().CopyTo(bytes, PrivateKeyPrefix.Length);
        key.PublicKey.AsSpan().CopyTo(bytes.AsSpan(PrivateKeyPrefix.Length + 32));
        return Base58.Encode(bytes);
    }

    public static Ed25519KeyPair DecodeKeypair(string text)
    {
        if (!Base58.TryDecode(text, out var bytes) || bytes.Length != PrivateKeyPrefix.Length + 64 || !bytes.AsSpan(0, 4).SequenceEqual(PrivateKeyPrefix))
        {
            throw new FormatException("identity.keypair is not a base58 protobuf Ed25519 private key");
        }

        var key = Ed25519KeyPair.FromSeed(bytes.AsSpan(4, 32));
        if (!key.PublicKey.AsSpan().SequenceEqual(bytes.AsSpan(36, 32)))
        {
            key.Dispose();
            throw new FormatException("identity.keypair holds a public key that does not match its seed");
        }

        return key;
    }

    public static byte[] EncodePublicKeyProtobuf(PublicKey publicKey) => [.. PublicKeyPrefix, .. publicKey.AsSpan()];

    /// <summary>PeerId bytes: multihash identity (0x00), length 36, protobuf public key.</summary>
    public static string PeerId(PublicKey publicKey) => Base58.Encode([0x00, 0x24, .. EncodePublicKeyProtobuf(publicKey)]);
}
