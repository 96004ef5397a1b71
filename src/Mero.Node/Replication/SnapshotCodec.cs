using System.Buffers.Binary;
using System.IO.Compression;
using System.Security.Cryptography;
using Mero.Crypto;
using Mero.Primitives;

namespace Mero.Node.Replication;

/// <summary>One page's share of a snapshot: some state records, then some ids of contained ops.</summary>
public sealed record SnapshotChunk(IReadOnlyList<KeyValuePair<byte[], byte[]>> Records, IReadOnlyList<Hash> KnownOps);

/// <summary>
/// A snapshot page's payload: borsh <c>Vec&lt;(key, value)&gt;</c> of state records and
/// <c>Vec&lt;op id&gt;</c> of ops the snapshot already contains, deflated, then
/// sealed under the context key as <c>key_id ‖ nonce ‖ ciphertext</c> so only members can read
/// the state (the sync stream itself is only transport-encrypted).
/// </summary>
public static class SnapshotCodec
{
    private static readonly byte[] AssociatedTag = "mero/snapshot-page/v1"u8.ToArray();

    public static (byte[] Payload, uint UncompressedLength) Seal(ContextId context, SnapshotChunk chunk, ContextKey key)
    {
        var records = new BorshWriter(chunk.Records.Sum(r => 8 + r.Key.Length + r.Value.Length) + 8);
        foreach (var (recordKey, value) in chunk.Records)
        {
            records.WriteBytes(recordKey).WriteBytes(value);
        }

        return Seal(context, chunk.Records.Count, records.WrittenSpan, chunk.KnownOps, key);
    }

    /// <summary>
    /// Seals a page whose records are already borsh-encoded back to back (<paramref name="records"/>,
    /// <paramref name="recordCount"/> of them): the pager writes them straight from the store.
    /// </summary>
    public static (byte[] Payload, uint UncompressedLength) Seal(ContextId context, int recordCount, ReadOnlySpan<byte> records, IReadOnlyList<Hash> knownOps, ContextKey key)
    {
        var ids = new BorshWriter(4 + (32 * knownOps.Count));
        ids.WriteVec(knownOps, static (w, id) => w.WriteId(id));
        Span<byte> count = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(count, (uint)recordCount);
        var plainLength = 4 + records.Length + ids.Length;
        using var compressed = new MemoryStream(plainLength / 3 + 64);
        using (var deflate = new DeflateStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
        {
            deflate.Write(count);
            deflate.Write(records);
            deflate.Write(ids.WrittenSpan);
        }

        var nonce = RandomNumberGenerator.GetBytes(Aead.NonceLength);
        var ciphertext = Aead.Encrypt(key.Key, nonce, compressed.GetBuffer().AsSpan(0, (int)compressed.Length), AssociatedData(context, key.KeyId));
        var payload = new byte[32 + Aead.NonceLength + ciphertext.Length];
        key.KeyId.AsSpan().CopyTo(payload);
        nonce.CopyTo(payload.AsSpan(32));
        ciphertext.CopyTo(payload.AsSpan(32 + Aead.NonceLength));
        return (payload, (uint)plainLength);
    }

    /// <summary>The key id a sealed page names.</summary>
    public static Hash KeyIdOf(ReadOnlySpan<byte> payload) =>
        payload.Length >= 32 ? Hash.FromBytes(payload[..32]) : throw new InvalidDataException("snapshot page shorter than its key id");

    /// <summary>Opens and inflates a page, never inflating past <paramref name="uncompressedLength"/>.</summary>
    public static SnapshotChunk Open(ContextId context, ReadOnlySpan<byte> payload, uint uncompressedLength, ContextKey key, int maxUncompressed)
    {
        if (uncompressedLength > maxUncompressed)
        {
            throw new InvalidDataException($"snapshot page of {uncompressedLength} bytes exceeds {maxUncompressed}");
        }

        if (payload.Length < 32 + Aead.NonceLength + Aead.TagLength || KeyIdOf(payload) != key.KeyId)
        {
            throw new InvalidDataException("snapshot page is not sealed under this context key");
        }

        var compressed = Aead.Decrypt(key.Key, payload.Slice(32, Aead.NonceLength), payload[(32 + Aead.NonceLength)..], AssociatedData(context, key.KeyId))
            ?? throw new InvalidDataException("snapshot page does not open under this context key");
        var plain = new byte[uncompressedLength];
        using (var deflate = new DeflateStream(new MemoryStream(compressed), CompressionMode.Decompress))
        {
            deflate.ReadExactly(plain);
            if (deflate.ReadByte() != -1)
            {
                throw new InvalidDataException("snapshot page inflates past its declared length");
            }
        }

        try
        {
            var reader = new BorshReader(plain);
            var count = reader.ReadCount(8, int.MaxValue);
            var records = new List<KeyValuePair<byte[], byte[]>>(count);
            for (var i = 0; i < count; i++)
            {
                records.Add(new(reader.ReadBytes(), reader.ReadBytes()));
            }

            var idCount = reader.ReadCount(32, int.MaxValue);
            var ids = new List<Hash>(idCount);
            for (var i = 0; i < idCount; i++)
            {
                ids.Add(reader.ReadId<IdKinds.Hash>());
            }

            reader.EnsureEnd();
            return new SnapshotChunk(records, ids);
        }
        catch (BorshException ex)
        {
            throw new InvalidDataException($"snapshot page is malformed: {ex.Message}", ex);
        }
    }

    private static byte[] AssociatedData(ContextId context, Hash keyId) => [.. AssociatedTag, .. context.AsSpan(), .. keyId.AsSpan()];
}
