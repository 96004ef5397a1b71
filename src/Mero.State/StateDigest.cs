using System.Numerics;
using System.Security.Cryptography;

namespace Mero.State;

/// <summary>
/// An order-independent summary of a context's key-value state: the sum, modulo 2^256, of
/// SHA-256(len(key) ‖ key ‖ value) over all entries. It updates in O(1) per write, and equal
/// state gives an equal digest whatever the order of writes. It is the stand-in root hash until
/// the entity Merkle tree of the CRDT engine replaces it.
/// </summary>
public readonly record struct StateDigest
{
    private static readonly BigInteger Modulus = BigInteger.One << 256;

    private readonly BigInteger _sum;

    private StateDigest(BigInteger sum) => _sum = sum;

    public static StateDigest Empty => default;

    public static StateDigest FromHash(Hash hash) =>
        new(new BigInteger(hash.AsSpan(), isUnsigned: true, isBigEndian: true));

    public StateDigest Add(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value) => new((_sum + EntryTerm(key, value)) % Modulus);

    public StateDigest Remove(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value) => new((_sum - EntryTerm(key, value) + Modulus) % Modulus);

    public Hash ToHash()
    {
        Span<byte> bytes = stackalloc byte[32];
        bytes.Clear();
        var raw = _sum.ToByteArray(isUnsigned: true, isBigEndian: true);
        raw.CopyTo(bytes[(32 - raw.Length)..]);
        return Hash.FromBytes(bytes);
    }

    private static BigInteger EntryTerm(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        using var hasher = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> length = stackalloc byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(length, key.Length);
        hasher.AppendData(length);
        hasher.AppendData(key);
        hasher.AppendData(value);
        Span<byte> digest = stackalloc byte[32];
        hasher.GetHashAndReset(digest);
        return new BigInteger(digest, isUnsigned: true, isBigEndian: true);
    }
}
