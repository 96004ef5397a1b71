namespace Mero.Runtime;

/// <summary>An event the guest emitted with <c>emit</c>.</summary>
public sealed record RuntimeEvent(string Kind, byte[] Data);

/// <summary>
/// The result of one execution. Logs and events are kept even when the call failed; the return
/// value only when it succeeded.
/// </summary>
public sealed class Outcome
{
    public bool Success => Error is null;

    /// <summary>Bytes from value_return(Ok); null if the guest never returned a value.</summary>
    public byte[]? ReturnValue { get; init; }

    public FunctionCallError? Error { get; init; }

    public IReadOnlyList<string> Logs { get; init; } = [];

    public IReadOnlyList<RuntimeEvent> Events { get; init; } = [];

    public long FuelUsed { get; init; }

    public TimeSpan Elapsed { get; init; }
}
