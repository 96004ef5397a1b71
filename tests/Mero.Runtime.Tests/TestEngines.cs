using System.Text;
using Xunit;

namespace Mero.Runtime.Tests;

internal static class TestEngines
{
    /// <summary>A default-limits engine shared by tests that don't need special limits.</summary>
    public static WasmEngine Default { get; } = new();

    public static ExecutionContext Context { get; } = new(Filled(0xC1), Filled(0xE1));

    public static byte[] Filled(byte value) => Enumerable.Repeat(value, 32).ToArray();

    public static Outcome Run(this WasmEngine engine, byte[] wasm, string method, string input = "", IRuntimeStorage? storage = null, CancellationToken ct = default) =>
        engine.Run(engine.Compile(wasm), method, Encoding.UTF8.GetBytes(input), Context, storage ?? new RecordingStorage(), ct);

    public static string Text(this Outcome outcome) => Encoding.UTF8.GetString(outcome.ReturnValue ?? []);

    public static void AssertHostError(this Outcome outcome, HostErrorCode code)
    {
        Assert.False(outcome.Success);
        Assert.Equal(FunctionCallErrorCode.HostError, outcome.Error!.Code);
        Assert.Equal(code, outcome.Error.HostCode);
    }

    public static void AssertError(this Outcome outcome, FunctionCallErrorCode code)
    {
        Assert.False(outcome.Success);
        Assert.Equal(code, outcome.Error!.Code);
    }
}
