using System.Numerics;
using System.Security.Cryptography;
using Mero.Network.Multiformats;

namespace Mero.Network.Kademlia;

/// <summary>A point in the Kademlia keyspace: SHA-256 of a key's or peer id's bytes; distance is XOR.</summary>
internal readonly record struct KBucketKey(UInt256Bytes Hash)
{
    public static KBucketKey ForKey(ReadOnlySpan<byte> key) => new(new UInt256Bytes(SHA256.HashData(key)));

    public static KBucketKey ForPeer(PeerId peer) => ForKey(peer.AsSpan());

    /// <summary>XOR distance as a big-endian unsigned number, for ordering.</summary>
    public BigInteger DistanceTo(KBucketKey other)
    {
        Span<byte> xor = stackalloc byte[32];
        for (var i = 0; i < 32; i++)
        {
            xor[i] = (byte)(Hash.Bytes[i] ^ other.Hash.Bytes[i]);
        }

        return new BigInteger(xor, isUnsigned: true, isBigEndian: true);
    }

    /// <summary>Leading bits shared with <paramref name="other"/> (256 when equal): the bucket index.</summary>
    public int CommonPrefixLength(KBucketKey other)
    {
        for (var i = 0; i < 32; i++)
        {
            var x = Hash.Bytes[i] ^ other.Hash.Bytes[i];
            if (x != 0)
            {
                return (i * 8) + BitOperations.LeadingZeroCount((uint)x) - 24;
            }
        }

        return 256;
    }
}

/// <summary>32 hash bytes with value equality.</summary>
internal readonly record struct UInt256Bytes(byte[] Bytes)
{
    public bool Equals(UInt256Bytes other) => Bytes.AsSpan().SequenceEqual(other.Bytes);

    public override int GetHashCode() => BitConverter.ToInt32(Bytes, 0);
}
