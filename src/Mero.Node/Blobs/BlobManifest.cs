using System.Buffers.Binary;
using Mero.Primitives;

namespace Mero.Node.Blobs;

/// <summary>
/// The record kept under a blob id (upstream's BlobMeta): total size, SHA-256 of the whole content,
/// and the ordered chunk ids. Encoded as <c>u64 size (LE) ‖ hash[32] ‖ u32 count (LE) ‖ count × id[32]</c>;
/// decoding is strict (exact length, count matching the size, size within the limit) because
/// manifests also arrive from peers.
/// </summary>
public sealed record BlobManifest(long Size, byte[] ContentHash, IReadOnlyList<byte[]> ChunkIds)
{
    /// <summary>Largest blob the node stores or fetches (upstream caps uploads at 1 GiB too).</summary>
    public const long MaxBlobSize = 1L << 30;

    public static int MaxChunks => (int)BlobChunking.ChunkCount(MaxBlobSize);

    /// <summary>The blob id this chunk list implies.</summary>
    public BlobId ComputeId() => BlobId.FromBytes(BlobChunking.IdFromChunkIds(ConcatenatedChunkIds()));

    public byte[] ConcatenatedChunkIds()
    {
        var ids = new byte[ChunkIds.Count * BlobChunking.HashSize];
        for (var i = 0; i < ChunkIds.Count; i++)
        {
            ChunkIds[i].CopyTo(ids, i * BlobChunking.HashSize);
        }

        return ids;
    }

    /// <summary>The expected length of chunk <paramref name="index"/>: full except possibly the last.</summary>
    public int ChunkLength(int index) =>
        index < ChunkIds.Count - 1 ? BlobChunking.ChunkSize : (int)(Size - ((long)(ChunkIds.Count - 1) * BlobChunking.ChunkSize));

    public byte[] Encode()
    {
        var bytes = new byte[8 + 32 + 4 + (ChunkIds.Count * 32)];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, Size);
        ContentHash.CopyTo(bytes, 8);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(40), ChunkIds.Count);
        ConcatenatedChunkIds().CopyTo(bytes, 44);
        return bytes;
    }

    /// <exception cref="InvalidDataException">the bytes are not a well-formed manifest</exception>
    public static BlobManifest Decode(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < 44)
        {
            throw new InvalidDataException($"blob manifest of {bytes.Length} bytes is shorter than its 44-byte header");
        }

        var size = BinaryPrimitives.ReadInt64LittleEndian(bytes);
        if (size is < 0 or > MaxBlobSize)
        {
            throw new InvalidDataException($"blob manifest declares {size} bytes, outside 0..{MaxBlobSize}");
        }

        var count = BinaryPrimitives.ReadUInt32LittleEndian(bytes[40..]);
        if (count != BlobChunking.ChunkCount(size))
        {
            throw new InvalidDataException($"blob manifest lists {count} chunks for {size} bytes (expected {BlobChunking.ChunkCount(size)})");
        }

        if (bytes.Length != 44 + ((long)count * 32))
        {
            throw new InvalidDataException($"blob manifest is {bytes.Length} bytes, expected {44 + ((long)count * 32)} for {count} chunks");
        }

        var ids = new byte[count][];
        for (var i = 0; i < ids.Length; i++)
        {
            ids[i] = bytes.Slice(44 + (i * 32), 32).ToArray();
        }

        return new BlobManifest(size, bytes.Slice(8, 32).ToArray(), ids);
    }

    /// <summary>Validates a chunk list received from a peer for <paramref name="id"/> and <paramref name="size"/>.</summary>
    /// <exception cref="InvalidDataException">the list does not hash to the id or does not fit the size</exception>
    public static IReadOnlyList<byte[]> CheckChunkIds(BlobId id, long size, IReadOnlyList<byte[]> chunkIds)
    {
        if (size is < 0 or > MaxBlobSize)
        {
            throw new InvalidDataException($"blob size {size} is outside 0..{MaxBlobSize}");
        }

        if (chunkIds.Count != BlobChunking.ChunkCount(size))
        {
            throw new InvalidDataException($"{chunkIds.Count} chunk ids for {size} bytes (expected {BlobChunking.ChunkCount(size)})");
        }

        if (chunkIds.Any(c => c.Length != BlobChunking.HashSize))
        {
            throw new InvalidDataException("a chunk id is not 32 bytes");
        }

        var implied = new BlobManifest(size, new byte[32], chunkIds).ComputeId();
        if (implied != id)
        {
            throw new InvalidDataException($"the chunk list hashes to {implied}, not to the requested blob {id}");
        }

        return chunkIds;
    }
}
