using NSec.Cryptography;

namespace Mero.Crypto;

/// <summary>
/// ChaCha20-Poly1305 with 32-byte keys and 12-byte nonces (NSec). Importing a key allocates guarded
/// native memory, so long-lived keys are imported once as an <see cref="AeadKey"/> and reused.
/// </summary>
public static class Aead
{
    internal static readonly AeadAlgorithm Algorithm = AeadAlgorithm.ChaCha20Poly1305;

    public const int KeyLength = 32;
    public const int NonceLength = 12;
    public const int TagLength = 16;

    public static byte[] Encrypt(ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associatedData)
    {
        using var k = new AeadKey(key);
        return k.Encrypt(nonce, plaintext, associatedData);
    }

    /// <summary>Null when the ciphertext, nonce, key or associated data do not authenticate.</summary>
    public static byte[]? Decrypt(ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> associatedData)
    {
        if (key.Length != KeyLength)
        {
            return null;
        }

        using var k = new AeadKey(key);
        return k.Decrypt(nonce, ciphertext, associatedData);
    }
}

/// <summary>An imported ChaCha20-Poly1305 key for repeated use.</summary>
public sealed class AeadKey : IDisposable
{
    private readonly Key _key;

    public AeadKey(ReadOnlySpan<byte> key) => _key = Key.Import(Aead.Algorithm, key, KeyBlobFormat.RawSymmetricKey);

    public byte[] Encrypt(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associatedData) =>
        Aead.Algorithm.Encrypt(_key, nonce, associatedData, plaintext);

    /// <summary>Null when the ciphertext, nonce or associated data do not authenticate.</summary>
    public byte[]? Decrypt(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> associatedData)
    {
        if (nonce.Length != Aead.NonceLength || ciphertext.Length < Aead.TagLength)
        {
            return null;
        }

        var plaintext = new byte[ciphertext.Length - Aead.TagLength];
        return Aead.Algorithm.Decrypt(_key, nonce, associatedData, ciphertext, plaintext) ? plaintext : null;
    }

    public void Dispose() => _key.Dispose();
}
