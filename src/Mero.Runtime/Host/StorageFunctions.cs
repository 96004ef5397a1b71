using Mero.Runtime.Logic;

namespace Mero.Runtime.Host;

/// <summary>The synchronized flat key-value store: storage_read / storage_write / storage_remove.</summary>
internal static class StorageFunctions
{
    public static void Define(HostFunctionRegistry registry)
    {
        registry.FuncU32("storage_read", StorageRead);
        registry.FuncU32("storage_write", StorageWrite);
        registry.FuncU32("storage_remove", StorageRemove);
    }

    /// <summary>1 and the value in the register if found, else 0.</summary>
    private static uint StorageRead(VmLogic logic, ulong keyPtr, ulong registerId)
    {
        var key = ReadKey(logic, keyPtr);
        var value = logic.Storage.Read(logic.Memory.Read(key.Ptr, key.Len));
        return ToRegister(logic, registerId, value);
    }

    /// <summary>Upsert: 1 and the evicted value in the register, or 0 for a new key.</summary>
    private static uint StorageWrite(VmLogic logic, ulong keyPtr, ulong valuePtr, ulong registerId)
    {
        var key = ReadKey(logic, keyPtr);
        var value = ReadValue(logic, valuePtr);

        // Bounds-check both before charging so a bad pointer is reported as such.
        var keyBytes = logic.Memory.Read(key.Ptr, key.Len);
        var valueBytes = logic.Memory.Read(value.Ptr, value.Len);
        logic.ChargeStorageWrite(key.Len + value.Len);
        var evicted = logic.Storage.Write(keyBytes, valueBytes);
        return ToRegister(logic, registerId, evicted);
    }

    /// <summary>1 and the removed value in the register if the key existed, else 0.</summary>
    private static uint StorageRemove(VmLogic logic, ulong keyPtr, ulong registerId)
    {
        var key = ReadKey(logic, keyPtr);
        var removed = logic.Storage.Remove(logic.Memory.Read(key.Ptr, key.Len));
        return ToRegister(logic, registerId, removed);
    }

    internal static GuestBuffer ReadValue(VmLogic logic, ulong valuePtr) =>
        logic.Memory.ReadBufferAtMost(valuePtr, logic.Limits.MaxStorageValueSize, HostErrorCode.ValueLengthOverflow, "value length overflow");

    internal static GuestBuffer ReadKey(VmLogic logic, ulong keyPtr) =>
        logic.Memory.ReadBufferAtMost(keyPtr, logic.Limits.MaxStorageKeySize, HostErrorCode.KeyLengthOverflow, "key length overflow");

    internal static uint ToRegister(VmLogic logic, ulong registerId, byte[]? value)
    {
        if (value is null)
        {
            return 0;
        }

        logic.SetRegister(registerId, value);
        return 1;
    }
}
