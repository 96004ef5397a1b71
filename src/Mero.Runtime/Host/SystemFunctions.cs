using System.Buffers.Binary;
using Mero.Runtime.Logic;

namespace Mero.Runtime.Host;

/// <summary>Call I/O, logs, events, panics and identity (upstream's system.rs subset).</summary>
internal static class SystemFunctions
{
    private const ulong LocationSize = 24;

    public static void Define(HostFunctionRegistry registry)
    {
        registry.Action("input", Input);
        registry.Action("value_return", ValueReturn);
        registry.Action("log_utf8", LogUtf8);
        registry.Action("panic", Panic);
        registry.Action("panic_utf8", PanicUtf8);
        registry.Action("context_id", ContextId);
        registry.Action("executor_id", ExecutorId);
        registry.Action("account_id", AccountId);
        registry.Action("device_id", DeviceId);
        registry.Action("emit_migration_witness", EmitMigrationWitness);
        registry.FuncU32("js_std_d_print", JsStdDPrint);
    }

    /// <summary>
    /// QuickJS's debug print: a raw (pointer, length) message, not a Buffer descriptor; the
    /// context pointer is unused. Appended to the logs with invalid UTF-8 replaced, under the log
    /// limits (checked on the raw length before copying). Returns 0.
    /// </summary>
    private static uint JsStdDPrint(VmLogic logic, ulong contextPtr, ulong messagePtr, ulong messageLength)
    {
        if (logic.Logs.Count >= logic.Limits.MaxLogs)
        {
            throw logic.Fail(HostErrorCode.LogsOverflow, $"logs overflow (max: {logic.Limits.MaxLogs})");
        }

        if (messageLength > (ulong)logic.Limits.MaxLogSize)
        {
            throw logic.Fail(HostErrorCode.LogLengthOverflow, $"log size overflow (size: {messageLength}, max: {logic.Limits.MaxLogSize})");
        }

        var message = System.Text.Encoding.UTF8.GetString(logic.Memory.Read(messagePtr, messageLength));
        var size = System.Text.Encoding.UTF8.GetByteCount(message);
        if (size > logic.Limits.MaxLogSize)
        {
            throw logic.Fail(HostErrorCode.LogLengthOverflow, $"log size overflow (size: {size} after replacing invalid UTF-8, max: {logic.Limits.MaxLogSize})");
        }

        logic.Logs.Add(message);
        return 0;
    }

    /// <summary>Always sets the register, possibly to an empty value.</summary>
    private static void Input(VmLogic logic, ulong registerId) => logic.SetRegister(registerId, logic.Input);

    /// <summary>Whom the call is authorized as: the key to index per-person state by.</summary>
    private static void AccountId(VmLogic logic, ulong registerId) => logic.SetRegister(registerId, logic.Context.AccountId);

    /// <summary>The key that signs and stamps this replica's writes (our executor member key).</summary>
    private static void DeviceId(VmLogic logic, ulong registerId) => logic.SetRegister(registerId, logic.Context.ExecutorId);

    // As upstream, the pre-split name answers with the account: an app asking for "the identity"
    // is doing ownership, which must not become per-installation.
    private static void ExecutorId(VmLogic logic, ulong registerId) => logic.SetRegister(registerId, logic.Context.AccountId);

    /// <summary>
    /// A migration's witness for its check step: kept on the outcome (last call wins), never stored.
    /// Bounded by MaxStorageValueSize, checked before copying.
    /// </summary>
    private static void EmitMigrationWitness(VmLogic logic, ulong bufferPtr)
    {
        var buffer = logic.Memory.ReadBufferAtMost(
            bufferPtr, logic.Limits.MaxStorageValueSize, HostErrorCode.ValueLengthOverflow, "migration witness length overflow");
        logic.MigrationWitness = logic.Memory.ReadBytes(buffer);
    }

    private static void ContextId(VmLogic logic, ulong registerId) => logic.SetRegister(registerId, logic.Context.ContextId);

    /// <summary>ValueReturn is a u64 tag (0 Ok, 1 Err) followed by a Buffer; the last call wins.</summary>
    private static void ValueReturn(VmLogic logic, ulong valuePtr)
    {
        var tag = logic.Memory.ReadU64(valuePtr);
        var buffer = logic.Memory.ReadBufferAtMost(
            valuePtr + sizeof(ulong), logic.Limits.MaxReturnValueSize, HostErrorCode.ReturnValueTooLarge, "return value too large");

        var bytes = logic.Memory.ReadBytes(buffer);
        logic.Returned = tag switch
        {
            0 => (true, bytes),
            1 => (false, bytes),
            _ => throw logic.Fail(
                HostErrorCode.DeserializationError,
                $"deserialization error: value_return tag {tag} is neither 0 (Ok) nor 1 (Err)"),
        };
    }

    // Limits are checked before the bytes are read so an oversized line costs no copy.
    private static void LogUtf8(VmLogic logic, ulong bufferPtr)
    {
        var buffer = logic.Memory.ReadBuffer(bufferPtr);
        if (logic.Logs.Count >= logic.Limits.MaxLogs)
        {
            throw logic.Fail(HostErrorCode.LogsOverflow, $"logs overflow (max: {logic.Limits.MaxLogs})");
        }

        if (buffer.Len > (ulong)logic.Limits.MaxLogSize)
        {
            throw logic.Fail(
                HostErrorCode.LogLengthOverflow,
                $"log size overflow (size: {buffer.Len}, max: {logic.Limits.MaxLogSize})");
        }

        logic.Logs.Add(logic.Memory.ReadUtf8(buffer));
    }

    private static void Panic(VmLogic logic, ulong locationPtr) =>
        throw logic.Fail(HostErrorCode.Panic, $"guest panicked: explicit panic{LocationSuffix(logic, locationPtr)}");

    private static void PanicUtf8(VmLogic logic, ulong messagePtr, ulong locationPtr)
    {
        var message = logic.Memory.ReadUtf8(logic.Memory.ReadBuffer(messagePtr));
        throw logic.Fail(HostErrorCode.Panic, $"guest panicked: {message}{LocationSuffix(logic, locationPtr)}");
    }

    /// <summary>
    /// Reads Location { file Buffer, line u32, column u32 }. Unlike upstream, a missing or
    /// unreadable location is dropped instead of replacing the panic with InvalidMemoryAccess:
    /// the guest's message is the part worth keeping.
    /// </summary>
    private static string LocationSuffix(VmLogic logic, ulong locationPtr)
    {
        if (locationPtr == 0)
        {
            return string.Empty;
        }

        try
        {
            var file = logic.Memory.ReadUtf8(logic.Memory.ReadBuffer(locationPtr));
            var position = logic.Memory.Read(locationPtr + GuestBuffer.Size, LocationSize - GuestBuffer.Size);
            var line = BinaryPrimitives.ReadUInt32LittleEndian(position);
            var column = BinaryPrimitives.ReadUInt32LittleEndian(position[sizeof(uint)..]);
            return file.Length == 0 && line == 0 ? string.Empty : $" at {file}:{line}:{column}";
        }
        catch (HostTrapException)
        {
            logic.PendingError = null;
            return string.Empty;
        }
    }
}
