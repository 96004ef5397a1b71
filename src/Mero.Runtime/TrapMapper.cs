using System.Runtime.ExceptionServices;
using Mero.Runtime.Logic;
using Wasmtime;

namespace Mero.Runtime;

/// <summary>
/// Turns a failed guest call into a <see cref="FunctionCallError"/>: the host's recorded reason
/// first, then fuel exhaustion, then the raw trap. Exceptions from host code that are not
/// deliberate traps (a storage failure, a host bug) are rethrown unchanged.
/// </summary>
internal static class TrapMapper
{
    public static FunctionCallError Map(VmLogic logic, WasmtimeException exception)
    {
        if (logic.PendingError is { } recorded)
        {
            return recorded;
        }

        if (exception is TrapException trap)
        {
            return trap.Type switch
            {
                TrapCode.OutOfFuel => FunctionCallError.Of(
                    FunctionCallErrorCode.GasExhausted,
                    $"execution exhausted its gas limit of {logic.Limits.MaxFuel} points"),
                TrapCode.Interrupt => FunctionCallError.Of(
                    FunctionCallErrorCode.DeadlineExceeded,
                    $"execution exceeded its deadline of {logic.Limits.ExecutionDeadline.TotalMilliseconds:0} ms"),
                _ => FunctionCallError.Trap(trap.Type.ToString(), Cause(exception.Message)),
            };
        }

        if (exception.InnerException is { } inner and not HostTrapException)
        {
            ExceptionDispatchInfo.Throw(inner);
        }

        return FunctionCallError.Trap(nameof(TrapCode.Undefined), Cause(exception.Message));
    }

    /// <summary>Wasmtime messages are "backtrace … Caused by: reason"; keep the reason.</summary>
    private static string Cause(string message)
    {
        const string marker = "Caused by:";
        var at = message.LastIndexOf(marker, StringComparison.Ordinal);
        var cause = at < 0 ? message : message[(at + marker.Length)..];
        return cause.Trim();
    }
}
