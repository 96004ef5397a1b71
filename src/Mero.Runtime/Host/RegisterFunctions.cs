using Mero.Runtime.Logic;

namespace Mero.Runtime.Host;

/// <summary>register_len / read_register: how the guest collects data the host produced.</summary>
internal static class RegisterFunctions
{
    public static void Define(HostFunctionRegistry registry)
    {
        registry.FuncU64("register_len", RegisterLen);
        registry.FuncU32("read_register", ReadRegister);
    }

    /// <summary>Length of the register, or u64::MAX when it is absent.</summary>
    private static ulong RegisterLen(VmLogic logic, ulong registerId) =>
        logic.Registers.TryGet(registerId, out var data) ? (ulong)data.LongLength : ulong.MaxValue;

    /// <summary>1 if copied; 0 if the destination length differs; traps if the register is absent.</summary>
    private static uint ReadRegister(VmLogic logic, ulong registerId, ulong bufferPtr)
    {
        var destination = logic.Memory.ReadBuffer(bufferPtr);
        if (!logic.Registers.TryGet(registerId, out var data))
        {
            throw logic.Fail(HostErrorCode.InvalidRegisterId, $"invalid register id: {registerId}");
        }

        if ((ulong)data.LongLength != destination.Len)
        {
            return 0;
        }

        logic.Memory.Write(destination, data);
        return 1;
    }
}
