using System.Security.Cryptography;

namespace Mero.Crypto;

public static class Hashing
{
    public static Hash Sha256(ReadOnlySpan<byte> data)
    {
        Span<byte> digest = stackalloc byte[32];
        SHA256.HashData(data, digest);
        return Hash.FromBytes(digest);
    }

    /// <summary>SHA-256 over a domain tag and the parts, so ids of different kinds never collide.</summary>
    public static Hash Sha256Tagged(string domain, params ReadOnlySpan<byte[]> parts)
    {
        using var hasher = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hasher.AppendData(System.Text.Encoding.UTF8.GetBytes(domain));
        foreach (var part in parts)
        {
            hasher.AppendData(part);
        }

        Span<byte> digest = stackalloc byte[32];
        hasher.GetHashAndReset(digest);
        return Hash.FromBytes(digest);
    }
}
