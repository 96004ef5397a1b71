using System.Buffers.Binary;

namespace Mero.State.Crdt;

/// <summary>
/// Vector: each element's key is the HLC stamp of its push (u64 big-endian time ‖ node key), so
/// the store keeps elements in push order and concurrent pushes interleave by stamp on every
/// replica. Update and remove are LWW on the element. Length is O(1); the first indexed access
/// in a transaction reads the vector's keys once, later ones are O(1) (O(log n) to maintain).
/// </summary>
public sealed partial class CrdtTransaction
{
    private readonly Dictionary<Hash, List<byte[]>> _vectorIndexes = [];

    public long VectorLength(CollectionRef vector) => TryResolve(vector, CrdtKind.Vector)?.LiveCount ?? 0;

    public void VectorPush(CollectionRef vector, ReadOnlySpan<byte> value)
    {
        var meta = ForWrite(vector, CrdtKind.Vector);
        var stamp = NextStamp();
        var key = new byte[40];
        BinaryPrimitives.WriteUInt64BigEndian(key, stamp.Time);
        stamp.Node.AsSpan().CopyTo(key.AsSpan(8));
        if (ApplyEntry(meta, key, CrdtEntry.Create(stamp, false, value), default))
        {
            Record(CrdtActionKind.Put, meta, stamp.Time, key, value);
        }
    }

    public byte[]? VectorGet(CollectionRef vector, long index)
    {
        if (TryResolve(vector, CrdtKind.Vector) is not { } meta || index < 0 || index >= meta.LiveCount)
        {
            return null;
        }

        return ReadEntry(meta, VectorIndex(meta)[(int)index]).Value.ToArray();
    }

    /// <summary>Replaces the element at index; returns the previous value.</summary>
    public byte[] VectorUpdate(CollectionRef vector, long index, ReadOnlySpan<byte> value)
    {
        CheckIndex(VectorLength(vector), index);
        var meta = ForWrite(vector, CrdtKind.Vector);
        var key = ElementKey(meta, index);
        var previous = ReadEntry(meta, key);
        LocalPut(meta, key, value, previous);
        return previous.Value.ToArray();
    }

    /// <summary>Removes the element at index; returns its value.</summary>
    public byte[] VectorRemove(CollectionRef vector, long index)
    {
        CheckIndex(VectorLength(vector), index);
        var meta = ForWrite(vector, CrdtKind.Vector);
        var key = ElementKey(meta, index);
        var previous = ReadEntry(meta, key);
        LocalRemove(meta, key, previous);
        return previous.Value.ToArray();
    }

    /// <summary>Removes the last element; null if empty.</summary>
    public byte[]? VectorPop(CollectionRef vector)
    {
        var length = VectorLength(vector);
        return length == 0 ? null : VectorRemove(vector, length - 1);
    }

    public IReadOnlyList<byte[]> VectorItems(CollectionRef vector) =>
        TryResolve(vector, CrdtKind.Vector) is { } meta ? [.. ScanEntries(meta).Where(e => e.Value.IsLive).Select(e => e.Value.Value.ToArray())] : [];

    private byte[] ElementKey(CollectionMeta meta, long index)
    {
        CheckIndex(meta.LiveCount, index);
        return VectorIndex(meta)[(int)index];
    }

    private static void CheckIndex(long length, long index)
    {
        if (index < 0 || index >= length)
        {
            throw new CrdtException($"index {index} is outside the vector of length {length}");
        }
    }

    /// <summary>Live element keys in order, built on first use in this transaction.</summary>
    private List<byte[]> VectorIndex(CollectionMeta meta)
    {
        if (!_vectorIndexes.TryGetValue(meta.Id, out var keys))
        {
            keys = [.. ScanEntries(meta).Where(e => e.Value.IsLive).Select(e => e.Key)];
            _vectorIndexes[meta.Id] = keys;
        }

        return keys;
    }

    private void OnVectorLivenessChanged(CollectionMeta meta, ReadOnlySpan<byte> itemKey, bool live)
    {
        if (!_vectorIndexes.TryGetValue(meta.Id, out var keys))
        {
            return;
        }

        var key = itemKey.ToArray();
        var at = keys.BinarySearch(key, ByteOrder.Instance);
        if (live && at < 0)
        {
            keys.Insert(~at, key);
        }
        else if (!live && at >= 0)
        {
            keys.RemoveAt(at);
        }
    }
}
