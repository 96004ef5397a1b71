using NSec.Cryptography;

namespace Mero.Crypto;

/// <summary>
/// Wraps a symmetric key for one recipient: a fresh ephemeral X25519 key agrees with the
/// recipient's X25519 public key, HKDF-SHA256 turns the shared secret into a one-time AEAD key,
/// ChaCha20-Poly1305 seals the payload. Output: ephemeral public key (32) ‖ ciphertext ‖ tag.
/// Because each wrap uses a new ephemeral key, the AEAD key is never reused and a zero nonce is safe.
/// </summary>
public static class KeyWrap
{
    public const int WrappedOverhead = X25519KeyPair.KeyLength + Aead.TagLength;

    private static readonly byte[] ZeroNonce = new byte[Aead.NonceLength];

    public static byte[] Wrap(ReadOnlySpan<byte> recipientPublicKey, ReadOnlySpan<byte> secret, ReadOnlySpan<byte> context)
    {
        using var ephemeral = X25519KeyPair.Generate();
        var aeadKey = DeriveKey(ephemeral.Key, recipientPublicKey, ephemeral.PublicKey, recipientPublicKey, context)
            ?? throw new ArgumentException("recipient public key is not a usable X25519 key", nameof(recipientPublicKey));
        var sealedSecret = Aead.Encrypt(aeadKey, ZeroNonce, secret, context);
        return [.. ephemeral.PublicKey, .. sealedSecret];
    }

    /// <summary>Null when the envelope was not made for this recipient or was tampered with.</summary>
    public static byte[]? Unwrap(X25519KeyPair recipient, ReadOnlySpan<byte> wrapped, ReadOnlySpan<byte> context)
    {
        ArgumentNullException.ThrowIfNull(recipient);
        if (wrapped.Length < WrappedOverhead)
        {
            return null;
        }

        var ephemeralPublic = wrapped[..X25519KeyPair.KeyLength];
        var aeadKey = DeriveKey(recipient.Key, ephemeralPublic, ephemeralPublic, recipient.PublicKey, context);
        return aeadKey is null ? null : Aead.Decrypt(aeadKey, ZeroNonce, wrapped[X25519KeyPair.KeyLength..], context);
    }

    private static byte[]? DeriveKey(Key own, ReadOnlySpan<byte> peerPublic, ReadOnlySpan<byte> ephemeralPublic, ReadOnlySpan<byte> recipientPublic, ReadOnlySpan<byte> context)
    {
        if (!NSec.Cryptography.PublicKey.TryImport(KeyAgreementAlgorithm.X25519, peerPublic, KeyBlobFormat.RawPublicKey, out var peer) || peer is null)
        {
            return null;
        }

        using var shared = KeyAgreementAlgorithm.X25519.Agree(own, peer);
        if (shared is null)
        {
            return null;
        }

        // Salt binds both public keys so an envelope cannot be replayed to a different recipient.
        byte[] salt = [.. ephemeralPublic, .. recipientPublic];
        byte[] info = [.. "mero/key-wrap/v1"u8, .. context];
        return KeyDerivationAlgorithm.HkdfSha256.DeriveBytes(shared, salt, info, Aead.KeyLength);
    }
}
