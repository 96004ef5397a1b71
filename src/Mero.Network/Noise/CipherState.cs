using System.Buffers.Binary;
using System.Security.Cryptography;
using Mero.Crypto;

namespace Mero.Network.Noise;

/// <summary>Noise CipherState for ChaChaPoly: a key and a 64-bit counter nonce (4 zero bytes ‖ u64 LE).</summary>
internal sealed class CipherState : IDisposable
{
    public const int TagLength = 16;

    private AeadKey? _key;
    private ulong _nonce;

    public bool HasKey => _key is not null;

    public void InitializeKey(ReadOnlySpan<byte> key)
    {
        _key?.Dispose();
        _key = new AeadKey(key);
        _nonce = 0;
    }

    /// <summary>Writes ciphertext ‖ tag (plaintext length + 16 bytes) into <paramref name="destination"/>.</summary>
    public int Encrypt(ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> plaintext, Span<byte> destination)
    {
        var key = _key ?? throw new InvalidOperationException("cipher has no key");
        Span<byte> nonce = stackalloc byte[12];
        NextNonce(nonce);
        key.Encrypt(nonce, plaintext, associatedData, destination);
        return plaintext.Length + TagLength;
    }

    /// <summary>Decrypts ciphertext ‖ tag; throws <see cref="NoiseException"/> on a bad tag.</summary>
    public int Decrypt(ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> ciphertext, Span<byte> destination)
    {
        var key = _key ?? throw new InvalidOperationException("cipher has no key");
        if (ciphertext.Length < TagLength)
        {
            throw new NoiseException($"encrypted frame of {ciphertext.Length} bytes is shorter than its 16-byte tag");
        }

        Span<byte> nonce = stackalloc byte[12];
        NextNonce(nonce);
        var length = ciphertext.Length - TagLength;
        if (!key.TryDecrypt(nonce, ciphertext, associatedData, destination))
        {
            throw new NoiseException("frame failed authentication (wrong key, reordered or tampered)");
        }

        return length;
    }

    private void NextNonce(Span<byte> nonce)
    {
        if (_nonce == ulong.MaxValue)
        {
            throw new NoiseException("nonce space exhausted");
        }

        nonce[..4].Clear();
        BinaryPrimitives.WriteUInt64LittleEndian(nonce[4..], _nonce++);
    }

    public void Dispose()
    {
        _key?.Dispose();
        _key = null;
    }
}

/// <summary>Noise SymmetricState for SHA-256: chaining key, handshake hash, and the cipher.</summary>
internal sealed class SymmetricState : IDisposable
{
    private readonly byte[] _ck = new byte[32];
    private readonly byte[] _h = new byte[32];
    private readonly CipherState _cipher = new();

    public SymmetricState(ReadOnlySpan<byte> protocolName)
    {
        if (protocolName.Length <= 32)
        {
            protocolName.CopyTo(_h);
        }
        else
        {
            SHA256.HashData(protocolName, _h);
        }

        _h.CopyTo(_ck, 0);
    }

    public ReadOnlySpan<byte> HandshakeHash => _h;

    public void MixHash(ReadOnlySpan<byte> data)
    {
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(_h);
        hash.AppendData(data);
        hash.GetHashAndReset(_h);
    }

    public void MixKey(ReadOnlySpan<byte> inputKeyMaterial)
    {
        Span<byte> output = stackalloc byte[64];
        Hkdf(_ck, inputKeyMaterial, output);
        output[..32].CopyTo(_ck);
        _cipher.InitializeKey(output[32..]);
        CryptographicOperations.ZeroMemory(output);
    }

    public int EncryptAndHash(ReadOnlySpan<byte> plaintext, Span<byte> destination)
    {
        int written;
        if (_cipher.HasKey)
        {
            written = _cipher.Encrypt(_h, plaintext, destination);
        }
        else
        {
            plaintext.CopyTo(destination);
            written = plaintext.Length;
        }

        MixHash(destination[..written]);
        return written;
    }

    public int DecryptAndHash(ReadOnlySpan<byte> ciphertext, Span<byte> destination)
    {
        int written;
        if (_cipher.HasKey)
        {
            written = _cipher.Decrypt(_h, ciphertext, destination);
        }
        else
        {
            ciphertext.CopyTo(destination);
            written = ciphertext.Length;
        }

        MixHash(ciphertext);
        return written;
    }

    /// <summary>The two transport ciphers: the first for initiator→responder, the second back.</summary>
    public (CipherState First, CipherState Second) Split()
    {
        Span<byte> output = stackalloc byte[64];
        Hkdf(_ck, [], output);
        var first = new CipherState();
        var second = new CipherState();
        first.InitializeKey(output[..32]);
        second.InitializeKey(output[32..]);
        CryptographicOperations.ZeroMemory(output);
        return (first, second);
    }

    /// <summary>
    /// Noise's HKDF with two outputs: temp = HMAC(ck, ikm); out1 = HMAC(temp, 0x01);
    /// out2 = HMAC(temp, out1 ‖ 0x02). (RFC 5869 with an empty info; written out because the
    /// platform HKDF rejects the empty input key material of Split.)
    /// </summary>
    private static void Hkdf(ReadOnlySpan<byte> chainingKey, ReadOnlySpan<byte> inputKeyMaterial, Span<byte> output)
    {
        Span<byte> temp = stackalloc byte[32];
        HMACSHA256.HashData(chainingKey, inputKeyMaterial, temp);
        HMACSHA256.HashData(temp, [0x01], output[..32]);
        Span<byte> second = stackalloc byte[33];
        output[..32].CopyTo(second);
        second[32] = 0x02;
        HMACSHA256.HashData(temp, second, output[32..]);
        CryptographicOperations.ZeroMemory(temp);
    }

    public void Dispose()
    {
        CryptographicOperations.ZeroMemory(_ck);
        _cipher.Dispose();
    }
}

/// <summary>A Noise handshake or transport failure: bad frame, bad tag, bad identity.</summary>
public sealed class NoiseException(string message) : IOException(message);
