using NSec.Cryptography;

namespace Mero.Crypto;

/// <summary>ChaCha20-Poly1305 with 32-byte keys and 12-byte nonces (NSec).</summary>
public static class Aead
{
    private static readonly AeadAlgorithm Algorithm = AeadAlgorithm.ChaCha20Poly1305;

    public const int KeyLength = 32;
    public const int NonceLength = 12;
    public const int TagLength = 16;

    public static byte[] Encrypt(ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associatedData)
    {
        using var k = Import(key);
        return Algorithm.Encrypt(k, nonce, associatedData, plaintext);
    }

    /// <summary>Null when the ciphertext, nonce, key or associated data do not authenticate.</summary>
    public static byte[]? Decrypt(ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> associatedData)
    {
        if (key.Length != KeyLength || nonce.Length != NonceLength || ciphertext.Length < TagLength)
        {
            return null;
        }

        using var k = Import(key);
        var plaintext = new byte[ciphertext.Length - TagLength];
        return Algorithm.Decrypt(k, nonce, associatedData, ciphertext, plaintext) ? plaintext : null;
    }

    private static Key Import(ReadOnlySpan<byte> key) => Key.Import(Algorithm, key, KeyBlobFormat.RawSymmetricKey);
}
