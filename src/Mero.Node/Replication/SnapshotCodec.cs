using System.Buffers.Binary;
using System.Buffers;
using K4os.Compression.LZ4;
using Mero.Primitives;

namespace Mero.Node.Replication;

/// <summary>One page's share of a snapshot: some state records, then some ids of contained ops.</summary>
public sealed record SnapshotChunk(IReadOnlyList<KeyValuePair<byte[], byte[]>> Records, IReadOnlyList<Hash> KnownOps);

/// <summary>
/// Where an opened page's contents go, item by item while the page is parsed: the spans are views
/// into a pooled buffer, valid only during the call.
/// </summary>
public interface ISnapshotSink
{
    void AddRecord(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value);

    void AddKnownOp(Hash id);
}

/// <summary>
/// A snapshot page's payload: borsh <c>Vec&lt;(key, value)&gt;</c> of state records and
/// <c>Vec&lt;op id&gt;</c> of ops the snapshot already contains, as one LZ4 block (fast enough that
/// compressing costs less than sending the bytes on a LAN), then
/// sealed under the context key (<see cref="ContextSealing"/>) so only members can read the state
/// (the sync stream itself is only transport-encrypted).
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
        var plainLength = 4 + records.Length + 4 + (32 * knownOps.Count);
        var plain = ArrayPool<byte>.Shared.Rent(plainLength);
        var compressed = ArrayPool<byte>.Shared.Rent(LZ4Codec.MaximumOutputSize(plainLength));
        try
        {
            BinaryPrimitives.WriteUInt32LittleEndian(plain, (uint)recordCount);
            records.CopyTo(plain.AsSpan(4));
            var at = 4 + records.Length;
            BinaryPrimitives.WriteUInt32LittleEndian(plain.AsSpan(at), (uint)knownOps.Count);
            at += 4;
            foreach (var id in knownOps)
            {
                id.AsSpan().CopyTo(plain.AsSpan(at));
                at += 32;
            }

            var length = LZ4Codec.Encode(plain.AsSpan(0, plainLength), compressed, LZ4Level.L00_FAST);
            return (ContextSealing.Seal(key, compressed.AsSpan(0, length), AssociatedData(context, key.KeyId)), (uint)plainLength);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(plain);
            ArrayPool<byte>.Shared.Return(compressed);
        }
    }

    /// <summary>The key id a sealed page names.</summary>
    public static Hash KeyIdOf(ReadOnlySpan<byte> payload) =>
        ContextSealing.KeyIdOf(payload) ?? throw new InvalidDataException("snapshot page shorter than its key id");

    /// <summary>Opens and inflates a page into memory, never inflating past <paramref name="uncompressedLength"/>.</summary>
    public static SnapshotChunk Open(ContextId context, ReadOnlySpan<byte> payload, uint uncompressedLength, ContextKey key, int maxUncompressed)
    {
        var chunk = new ChunkCollector();
        OpenInto(chunk, context, payload, uncompressedLength, key, maxUncompressed);
        return new SnapshotChunk(chunk.Records, chunk.KnownOps);
    }

    /// <summary>
    /// Opens and inflates a page, handing each record and id to <paramref name="sink"/> as it is
    /// parsed (no copy per record). The page is authenticated before anything reaches the sink; a
    /// malformed page throws part way, so a sink must treat the snapshot as failed when this throws.
    /// </summary>
    public static void OpenInto(ISnapshotSink sink, ContextId context, ReadOnlySpan<byte> payload, uint uncompressedLength, ContextKey key, int maxUncompressed)
    {
        if (uncompressedLength > maxUncompressed)
        {
            throw new InvalidDataException($"snapshot page of {uncompressedLength} bytes exceeds {maxUncompressed}");
        }

        var compressed = ContextSealing.Open(payload, key, AssociatedData(context, key.KeyId), out var namesKey)
            ?? throw new InvalidDataException(namesKey ? "snapshot page does not open under this context key" : "snapshot page is not sealed under this context key");
        // The block decoder never writes past the buffer it is given, so a lying length cannot inflate memory.
        // Pooled: a fresh 2 MiB array per page is a large-object allocation.
        var rented = ArrayPool<byte>.Shared.Rent((int)uncompressedLength);
        var plain = rented.AsSpan(0, (int)uncompressedLength);
        try
        {
            if (LZ4Codec.Decode(compressed, plain) != uncompressedLength)
            {
                throw new InvalidDataException("snapshot page does not decompress to its declared length");
            }

            var reader = new BorshReader(plain);
            var count = reader.ReadCount(8, int.MaxValue);
            for (var i = 0; i < count; i++)
            {
                var recordKey = reader.ReadBytesSpan();
                sink.AddRecord(recordKey, reader.ReadBytesSpan());
            }

            var idCount = reader.ReadCount(32, int.MaxValue);
            for (var i = 0; i < idCount; i++)
            {
                sink.AddKnownOp(reader.ReadId<IdKinds.Hash>());
            }

            reader.EnsureEnd();
        }
        catch (BorshException ex)
        {
            throw new InvalidDataException($"snapshot page is malformed: {ex.Message}", ex);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private static byte[] AssociatedData(ContextId context, Hash keyId) => [.. AssociatedTag, .. context.AsSpan(), .. keyId.AsSpan()];

    private sealed class ChunkCollector : ISnapshotSink
    {
        public List<KeyValuePair<byte[], byte[]>> Records { get; } = [];

        public List<Hash> KnownOps { get; } = [];

        public void AddRecord(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value) => Records.Add(new(key.ToArray(), value.ToArray()));

        public void AddKnownOp(Hash id) => KnownOps.Add(id);
    }
}
