using System.Security.Cryptography;
using NSec.Cryptography;

namespace Mero.Crypto;

/// <summary>
/// ChaCha20-Poly1305 (RFC 8439) with 32-byte keys and 12-byte nonces; ciphertext is followed by its
/// 16-byte tag. Runs on the platform's implementation (OpenSSL on Linux), where setting up a key
/// costs about a microsecond and sealing runs at gigabytes per second; NSec's guarded key import
/// cost about 140 µs per key, which every sealed op and snapshot page paid. NSec remains the
/// fallback where the platform lacks the algorithm; both produce the same bytes.
/// </summary>
public static class Aead
{
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

/// <summary>A ChaCha20-Poly1305 key set up once for repeated use; safe to share between threads.</summary>
public sealed class AeadKey : IDisposable
{
    private readonly System.Security.Cryptography.ChaCha20Poly1305? _platform;
    private readonly Key? _sodium;

    public AeadKey(ReadOnlySpan<byte> key)
        : this(key, System.Security.Cryptography.ChaCha20Poly1305.IsSupported)
    {
    }

    /// <summary>Chooses the implementation: tests check that the two agree byte for byte.</summary>
    internal AeadKey(ReadOnlySpan<byte> key, bool usePlatform)
    {
        if (key.Length != Aead.KeyLength)
        {
            throw new ArgumentException($"a ChaCha20-Poly1305 key is {Aead.KeyLength} bytes, not {key.Length}", nameof(key));
        }

        if (usePlatform)
        {
            _platform = new System.Security.Cryptography.ChaCha20Poly1305(key);
        }
        else
        {
            _sodium = Key.Import(AeadAlgorithm.ChaCha20Poly1305, key, KeyBlobFormat.RawSymmetricKey);
        }
    }

    public byte[] Encrypt(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associatedData)
    {
        var output = new byte[plaintext.Length + Aead.TagLength];
        Encrypt(nonce, plaintext, associatedData, output);
        return output;
    }

    /// <summary>Writes ciphertext ‖ tag, <c>plaintext.Length + 16</c> bytes, to the start of <paramref name="destination"/>.</summary>
    public void Encrypt(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associatedData, Span<byte> destination)
    {
        CheckNonce(nonce);
        var output = destination[..(plaintext.Length + Aead.TagLength)];
        if (_platform is { } platform)
        {
            // The platform cipher keeps one native context per key: calls on it must not overlap.
            lock (platform)
            {
                platform.Encrypt(nonce, plaintext, output[..plaintext.Length], output[plaintext.Length..], associatedData);
            }
        }
        else
        {
            AeadAlgorithm.ChaCha20Poly1305.Encrypt(_sodium!, nonce, associatedData, plaintext, output);
        }
    }

    /// <summary>Null when the ciphertext, nonce or associated data do not authenticate.</summary>
    public byte[]? Decrypt(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> associatedData)
    {
        if (ciphertext.Length < Aead.TagLength)
        {
            return null;
        }

        var plaintext = new byte[ciphertext.Length - Aead.TagLength];
        return TryDecrypt(nonce, ciphertext, associatedData, plaintext) ? plaintext : null;
    }

    /// <summary>
    /// Opens ciphertext ‖ tag into the first <c>ciphertext.Length - 16</c> bytes of
    /// <paramref name="destination"/>; false (with those bytes cleared) when it does not authenticate.
    /// </summary>
    public bool TryDecrypt(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> associatedData, Span<byte> destination)
    {
        if (nonce.Length != Aead.NonceLength || ciphertext.Length < Aead.TagLength)
        {
            return false;
        }

        var length = ciphertext.Length - Aead.TagLength;
        var plaintext = destination[..length];
        if (_platform is not { } platform)
        {
            return AeadAlgorithm.ChaCha20Poly1305.Decrypt(_sodium!, nonce, associatedData, ciphertext, plaintext);
        }

        try
        {
            lock (platform)
            {
                platform.Decrypt(nonce, ciphertext[..length], ciphertext[length..], plaintext, associatedData);
            }

            return true;
        }
        catch (AuthenticationTagMismatchException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        _platform?.Dispose();
        _sodium?.Dispose();
    }

    private static void CheckNonce(ReadOnlySpan<byte> nonce)
    {
        if (nonce.Length != Aead.NonceLength)
        {
            throw new ArgumentException($"a ChaCha20-Poly1305 nonce is {Aead.NonceLength} bytes, not {nonce.Length}", nameof(nonce));
        }
    }
}
