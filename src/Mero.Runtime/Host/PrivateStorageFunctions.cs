using Mero.Runtime.Logic;

namespace Mero.Runtime.Host;

/// <summary>
/// private_storage_*: a node-local key-value store that is never replicated nor part of the
/// state root. Same key/value limits and write budget as storage_*; without a private store,
/// reads and removes find nothing and writes return 0, as upstream.
/// </summary>
internal static class PrivateStorageFunctions
{
    public static void Define(HostFunctionRegistry registry)
    {
        registry.FuncU32("private_storage_read", Read);
        registry.FuncU32("private_storage_write", Write);
        registry.FuncU32("private_storage_remove", Remove);
    }

    private static uint Read(VmLogic logic, ulong keyPtr, ulong registerId)
    {
        var key = StorageFunctions.ReadKey(logic, keyPtr);
        if (logic.Services.PrivateStorage is not { } store)
        {
            return 0;
        }

        return StorageFunctions.ToRegister(logic, registerId, store.Read(logic.Memory.Read(key.Ptr, key.Len)));
    }

    /// <summary>1 when written, 0 when this host has no private store.</summary>
    private static uint Write(VmLogic logic, ulong keyPtr, ulong valuePtr)
    {
        var key = StorageFunctions.ReadKey(logic, keyPtr);
        var value = StorageFunctions.ReadValue(logic, valuePtr);
        var keyBytes = logic.Memory.Read(key.Ptr, key.Len);
        var valueBytes = logic.Memory.Read(value.Ptr, value.Len);
        if (logic.Services.PrivateStorage is not { } store)
        {
            return 0;
        }

        logic.ChargeStorageWrite(key.Len + value.Len);
        store.Write(keyBytes, valueBytes);
        return 1;
    }

    private static uint Remove(VmLogic logic, ulong keyPtr, ulong registerId)
    {
        var key = StorageFunctions.ReadKey(logic, keyPtr);
        if (logic.Services.PrivateStorage is not { } store)
        {
            return 0;
        }

        return StorageFunctions.ToRegister(logic, registerId, store.Remove(logic.Memory.Read(key.Ptr, key.Len)));
    }
}
