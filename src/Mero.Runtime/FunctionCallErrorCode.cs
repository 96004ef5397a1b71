namespace Mero.Runtime;

/// <summary>Why a call failed. Values are stable: callers persist and match on them.</summary>
public enum FunctionCallErrorCode
{
    MethodNotFound,
    InvalidMethodName,
    InvalidSignature,
    GasExhausted,
    DeadlineExceeded,
    Cancelled,
    MemoryLimitExceeded,
    HostError,
    WasmTrap,
    ExecutionError,
    InstantiationFailed,
}
