namespace Mero.Runtime;

/// <summary>A failed call: a stable <see cref="Code"/> plus a human <see cref="Message"/>.</summary>
public sealed class FunctionCallError
{
    private FunctionCallError(FunctionCallErrorCode code, string message)
    {
        Code = code;
        Message = message;
    }

    public FunctionCallErrorCode Code { get; }

    /// <summary>Set when <see cref="Code"/> is <see cref="FunctionCallErrorCode.HostError"/>.</summary>
    public HostErrorCode? HostCode { get; private init; }

    /// <summary>Wasmtime's trap code name when <see cref="Code"/> is WasmTrap (e.g. "Unreachable").</summary>
    public string? TrapCode { get; private init; }

    /// <summary>The guest's error bytes when <see cref="Code"/> is ExecutionError (value_return Err).</summary>
    public byte[]? Data { get; private init; }

    public string Message { get; }

    /// <summary>Code and sub-code as one string, e.g. "HostError.Panic".</summary>
    public string CodeName => HostCode is { } host ? $"{Code}.{host}" : Code.ToString();

    public override string ToString() => $"{CodeName}: {Message}";

    internal static FunctionCallError Of(FunctionCallErrorCode code, string message) => new(code, message);

    internal static FunctionCallError Host(HostErrorCode code, string message) =>
        new(FunctionCallErrorCode.HostError, message) { HostCode = code };

    internal static FunctionCallError Trap(string trapCode, string message) =>
        new(FunctionCallErrorCode.WasmTrap, message) { TrapCode = trapCode };

    internal static FunctionCallError Execution(byte[] data) =>
        new(FunctionCallErrorCode.ExecutionError, $"the method call returned an error ({data.Length} bytes)") { Data = data };
}
