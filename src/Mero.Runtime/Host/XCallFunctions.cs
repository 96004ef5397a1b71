using Mero.Runtime.Logic;

namespace Mero.Runtime.Host;

/// <summary>
/// xcall queues a call on another context, run by the node after this call commits (no return
/// value); xcall_origin tells a method whether it was started that way.
/// </summary>
internal static class XCallFunctions
{
    private const int ContextIdLength = 32;

    public static void Define(HostFunctionRegistry registry)
    {
        registry.Action("xcall", XCall);
        registry.FuncU32("xcall_origin", XCallOrigin);
    }

    /// <summary>XCall = { context_id Buffer, function Buffer, params Buffer }, 48 bytes.</summary>
    private static void XCall(VmLogic logic, ulong xcallPtr)
    {
        var contextId = logic.ReadExact(xcallPtr, ContextIdLength, "xcall context id");
        var function = logic.Memory.ReadBuffer(xcallPtr + GuestBuffer.Size);
        var parameters = logic.Memory.ReadBuffer(xcallPtr + (2 * GuestBuffer.Size));
        if (function.Len > (ulong)logic.Limits.MaxXCallFunctionSize)
        {
            throw logic.Fail(
                HostErrorCode.XCallFunctionSizeOverflow,
                $"xcall function name overflow (size: {function.Len}, max: {logic.Limits.MaxXCallFunctionSize})");
        }

        if (parameters.Len > (ulong)logic.Limits.MaxXCallParamsSize)
        {
            throw logic.Fail(
                HostErrorCode.XCallParamsSizeOverflow,
                $"xcall params size overflow (size: {parameters.Len}, max: {logic.Limits.MaxXCallParamsSize})");
        }

        if (logic.XCalls.Count >= logic.Limits.MaxXCalls)
        {
            throw logic.Fail(HostErrorCode.XCallsOverflow, $"xcalls overflow (max: {logic.Limits.MaxXCalls})");
        }

        logic.XCalls.Add(new XCall(contextId, logic.Memory.ReadUtf8(function), logic.Memory.ReadBytes(parameters)));
    }

    /// <summary>1 and the calling context's id in the register if dispatched by xcall, else 0.</summary>
    private static uint XCallOrigin(VmLogic logic, ulong registerId)
    {
        if (logic.Services.XCallOrigin is not { } origin)
        {
            return 0;
        }

        logic.SetRegister(registerId, origin);
        return 1;
    }
}
