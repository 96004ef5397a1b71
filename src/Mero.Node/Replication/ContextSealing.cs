using System.Security.Cryptography;
using Mero.Crypto;
using Mero.Primitives;

namespace Mero.Node.Replication;

/// <summary>
/// The framing of state sealed under a context key outside a delta (snapshot pages, tree-sync
/// leaves): <c>key_id ‖ nonce ‖ ChaCha20-Poly1305(plaintext)</c> with a fresh random nonce. The
/// key id travels in clear so the receiver can pick the key; each caller binds its own tag, the
/// context and the key id into the associated data, so one kind of blob never opens as another.
/// </summary>
internal static class ContextSealing
{
    /// <summary>Bytes the framing adds: key id, nonce, AEAD tag.</summary>
    public const int Overhead = 32 + Aead.NonceLength + Aead.TagLength;

    public static byte[] Seal(ContextKey key, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associatedData)
    {
        var payload = new byte[Overhead + plaintext.Length];
        key.KeyId.AsSpan().CopyTo(payload);
        var nonce = payload.AsSpan(32, Aead.NonceLength);
        RandomNumberGenerator.Fill(nonce);
        using var cipher = new AeadKey(key.Key);
        cipher.Encrypt(nonce, plaintext, associatedData, payload.AsSpan(32 + Aead.NonceLength));
        return payload;
    }

    /// <summary>The key id a payload names; null when it is too short to hold one.</summary>
    public static Hash? KeyIdOf(ReadOnlySpan<byte> payload) => payload.Length >= 32 ? Hash.FromBytes(payload[..32]) : null;

    /// <summary>
    /// The plaintext; null when the payload is too short, names another key, or does not
    /// authenticate under <paramref name="key"/> with <paramref name="associatedData"/>.
    /// <paramref name="namesKey"/> tells the first two cases from the last.
    /// </summary>
    public static byte[]? Open(ReadOnlySpan<byte> payload, ContextKey key, ReadOnlySpan<byte> associatedData, out bool namesKey)
    {
        namesKey = payload.Length >= Overhead && KeyIdOf(payload) == key.KeyId;
        return namesKey
            ? Aead.Decrypt(key.Key, payload.Slice(32, Aead.NonceLength), payload[(32 + Aead.NonceLength)..], associatedData)
            : null;
    }
}
