using System.Buffers.Binary;
using Mero.Runtime.Logic;

namespace Mero.Runtime.Host;

/// <summary>
/// storage_index_*: upstream's node-local ordered secondary index (SortedMap/SortedSet ranges),
/// never replicated nor part of the state root. Keys, prefixes and bounds are capped like storage
/// keys, values like storage values; writes share the storage write budget. Without an index
/// service writes return 0 and reads find nothing, as upstream's default backend does.
/// </summary>
internal static class StorageIndexFunctions
{
    public static void Define(HostFunctionRegistry registry)
    {
        registry.FuncU32("storage_index_set", Set);
        registry.FuncU32("storage_index_remove", (logic, keyPtr) => Mutate(logic, keyPtr, static (index, key) => index.Remove(key)));
        registry.FuncU32("storage_index_remove_prefix", (logic, prefixPtr) => Mutate(logic, prefixPtr, static (index, prefix) => index.RemovePrefix(prefix)));
        registry.FuncU32("storage_index_scan", Scan);
        registry.FuncU32("storage_index_last", Last);
        registry.FuncU32("storage_index_meta_set", SetMeta);
        registry.FuncU32("storage_index_meta_get", GetMeta);
        registry.FuncU32("storage_index_meta_clear", (logic, keyPtr) => Mutate(logic, keyPtr, static (index, key) => index.RemoveMeta(key)));
    }

    private delegate bool KeyWrite(IRuntimeOrderedIndex index, ReadOnlySpan<byte> key);

    private delegate bool PairWrite(IRuntimeOrderedIndex index, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value);

    private static uint Set(VmLogic logic, ulong keyPtr, ulong valuePtr) =>
        Write(logic, keyPtr, valuePtr, static (index, key, value) => index.Set(key, value));

    private static uint SetMeta(VmLogic logic, ulong keyPtr, ulong valuePtr) =>
        Write(logic, keyPtr, valuePtr, static (index, key, value) => index.SetMeta(key, value));

    /// <summary>1 if the index persisted the pair, 0 if not (or there is no index).</summary>
    private static uint Write(VmLogic logic, ulong keyPtr, ulong valuePtr, PairWrite write)
    {
        var key = StorageFunctions.ReadKey(logic, keyPtr);
        var value = StorageFunctions.ReadValue(logic, valuePtr);
        var keyBytes = logic.Memory.Read(key.Ptr, key.Len);
        var valueBytes = logic.Memory.Read(value.Ptr, value.Len);
        logic.ChargeStorageWrite(key.Len + value.Len);
        return logic.Services.OrderedIndex is { } index && write(index, keyBytes, valueBytes) ? 1u : 0u;
    }

    /// <summary>Removals are charged to the write budget too (upstream charges only meta_clear), so none is free.</summary>
    private static uint Mutate(VmLogic logic, ulong keyPtr, KeyWrite write)
    {
        var key = StorageFunctions.ReadKey(logic, keyPtr);
        var keyBytes = logic.Memory.Read(key.Ptr, key.Len);
        logic.ChargeStorageWrite(key.Len);
        return logic.Services.OrderedIndex is { } index && write(index, keyBytes) ? 1u : 0u;
    }

    /// <summary>
    /// [lo, hi) ascending, skipping offset; limit is n+1-encoded (0 = unbounded, else limit-1
    /// entries) and capped at MaxStorageIndexScanLimit. Always 1; the register holds the pairs.
    /// </summary>
    private static uint Scan(VmLogic logic, ulong loPtr, ulong hiPtr, ulong offset, ulong limit, ulong registerId)
    {
        var lo = StorageFunctions.ReadKey(logic, loPtr);
        var hi = StorageFunctions.ReadKey(logic, hiPtr);
        var loBytes = logic.Memory.Read(lo.Ptr, lo.Len);
        var hiBytes = logic.Memory.Read(hi.Ptr, hi.Len);
        var cap = (ulong)logic.Limits.MaxStorageIndexScanLimit;
        var effective = limit == 0 ? cap : Math.Min(limit - 1, cap);
        var pairs = logic.Services.OrderedIndex?.Scan(loBytes, hiBytes, offset, effective) ?? [];
        logic.SetRegister(registerId, Encode(logic, pairs));
        return 1;
    }

    /// <summary>The largest pair in [lo, hi) in the scan encoding (count 0 or 1). Always 1.</summary>
    private static uint Last(VmLogic logic, ulong loPtr, ulong hiPtr, ulong registerId)
    {
        var lo = StorageFunctions.ReadKey(logic, loPtr);
        var hi = StorageFunctions.ReadKey(logic, hiPtr);
        var loBytes = logic.Memory.Read(lo.Ptr, lo.Len);
        var hiBytes = logic.Memory.Read(hi.Ptr, hi.Len);
        var last = logic.Services.OrderedIndex?.Last(loBytes, hiBytes);
        logic.SetRegister(registerId, Encode(logic, last is { } pair ? [pair] : []));
        return 1;
    }

    /// <summary>1 and the marker in the register, or 0.</summary>
    private static uint GetMeta(VmLogic logic, ulong keyPtr, ulong registerId)
    {
        var key = StorageFunctions.ReadKey(logic, keyPtr);
        var keyBytes = logic.Memory.Read(key.Ptr, key.Len);
        return StorageFunctions.ToRegister(logic, registerId, logic.Services.OrderedIndex?.GetMeta(keyBytes));
    }

    /// <summary>count u32, then per pair key_len u32, key, value_len u32, value; all little-endian.</summary>
    private static byte[] Encode(VmLogic logic, IReadOnlyList<KeyValuePair<byte[], byte[]>> pairs)
    {
        long size = sizeof(uint);
        foreach (var (key, value) in pairs)
        {
            size += (2 * sizeof(uint)) + key.LongLength + value.LongLength;
        }

        // The register limit would refuse it anyway; refuse before allocating.
        if (size > logic.Limits.MaxRegisterSize)
        {
            throw logic.Fail(
                HostErrorCode.RegisterSizeOverflow,
                $"register size overflow (index scan of {pairs.Count} entries is {size} bytes, max: {logic.Limits.MaxRegisterSize})");
        }

        var bytes = new byte[size];
        var at = 0;
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, (uint)pairs.Count);
        at += sizeof(uint);
        foreach (var (key, value) in pairs)
        {
            at = Put(bytes, at, key);
            at = Put(bytes, at, value);
        }

        return bytes;
    }

    private static int Put(byte[] destination, int at, byte[] data)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(destination.AsSpan(at), (uint)data.Length);
        data.CopyTo(destination, at + sizeof(uint));
        return at + sizeof(uint) + data.Length;
    }
}
