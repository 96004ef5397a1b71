using Mero.Runtime.Logic;

namespace Mero.Runtime.Host;

/// <summary>emit / emit_with_handler: events for subscribers, optionally naming a handler method.</summary>
internal static class EventFunctions
{
    public static void Define(HostFunctionRegistry registry)
    {
        registry.Action("emit", (logic, eventPtr) => Emit(logic, eventPtr, handler: null));
        registry.Action("emit_with_handler", EmitWithHandler);
    }

    /// <summary>A handler pointer of 0 means no handler, as upstream.</summary>
    private static void EmitWithHandler(VmLogic logic, ulong eventPtr, ulong handlerPtr)
    {
        string? handler = null;
        if (handlerPtr != 0)
        {
            handler = logic.Memory.ReadUtf8(logic.Memory.ReadBufferAtMost(
                handlerPtr, logic.Limits.MaxMethodNameLength, HostErrorCode.HandlerNameOverflow, "event handler name overflow"));
        }

        Emit(logic, eventPtr, handler);
    }

    /// <summary>Event = { kind Buffer, data Buffer }, 32 bytes. Limits are checked before any copy.</summary>
    private static void Emit(VmLogic logic, ulong eventPtr, string? handler)
    {
        var kind = logic.Memory.ReadBuffer(eventPtr);
        var data = logic.Memory.ReadBuffer(eventPtr + GuestBuffer.Size);
        if (kind.Len > (ulong)logic.Limits.MaxEventKindSize)
        {
            throw logic.Fail(
                HostErrorCode.EventKindSizeOverflow,
                $"event kind size overflow (size: {kind.Len}, max: {logic.Limits.MaxEventKindSize})");
        }

        if (data.Len > (ulong)logic.Limits.MaxEventDataSize)
        {
            throw logic.Fail(
                HostErrorCode.EventDataSizeOverflow,
                $"event data size overflow (size: {data.Len}, max: {logic.Limits.MaxEventDataSize})");
        }

        if (logic.Events.Count >= logic.Limits.MaxEvents)
        {
            throw logic.Fail(HostErrorCode.EventsOverflow, $"events overflow (max: {logic.Limits.MaxEvents})");
        }

        logic.Events.Add(new RuntimeEvent(logic.Memory.ReadUtf8(kind), logic.Memory.ReadBytes(data), handler));
    }
}
