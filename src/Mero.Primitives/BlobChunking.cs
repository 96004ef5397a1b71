using System.Security.Cryptography;

namespace Mero.Primitives;

/// <summary>
/// Upstream's blob id rule (protocol/blobs.mdx): content is cut into 1 MiB chunks, each chunk is
/// named by the SHA-256 of its bytes, and the blob id is the SHA-256 of the concatenated chunk ids.
/// The id therefore authenticates the ordered chunk list, so a fetcher can check every chunk as it
/// arrives. An empty blob has no chunks: its id is the SHA-256 of nothing.
/// </summary>
public static class BlobChunking
{
    /// <summary>Storage chunk size (upstream's CHUNK_SIZE); the last chunk may be shorter.</summary>
    public const int ChunkSize = 1024 * 1024;

    public const int HashSize = 32;

    /// <summary>The blob id of <paramref name="content"/> held in memory.</summary>
    public static byte[] ComputeId(ReadOnlySpan<byte> content)
    {
        using var ids = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> chunkId = stackalloc byte[HashSize];
        for (var offset = 0; offset < content.Length; offset += ChunkSize)
        {
            SHA256.HashData(content.Slice(offset, Math.Min(ChunkSize, content.Length - offset)), chunkId);
            ids.AppendData(chunkId);
        }

        return ids.GetHashAndReset();
    }

    /// <summary>The blob id of an ordered list of chunk ids (each <see cref="HashSize"/> bytes, concatenated).</summary>
    public static byte[] IdFromChunkIds(ReadOnlySpan<byte> concatenatedChunkIds)
    {
        if (concatenatedChunkIds.Length % HashSize != 0)
        {
            throw new ArgumentException($"chunk ids are {HashSize} bytes each, got {concatenatedChunkIds.Length} bytes", nameof(concatenatedChunkIds));
        }

        return SHA256.HashData(concatenatedChunkIds);
    }

    /// <summary>How many chunks a blob of <paramref name="size"/> bytes has.</summary>
    public static long ChunkCount(long size)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        return (size + ChunkSize - 1) / ChunkSize;
    }
}
