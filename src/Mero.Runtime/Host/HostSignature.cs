using Wasmtime;

namespace Mero.Runtime.Host;

/// <summary>The wasm-level type of a host import, used to reject mismatched imports at compile time.</summary>
internal sealed record HostSignature(IReadOnlyList<ValueKind> Parameters, IReadOnlyList<ValueKind> Results)
{
    public bool Matches(IReadOnlyList<ValueKind> parameters, IReadOnlyList<ValueKind> results) =>
        Parameters.SequenceEqual(parameters) && Results.SequenceEqual(results);

    public override string ToString() => Format(Parameters, Results);

    public static string Format(IReadOnlyList<ValueKind> parameters, IReadOnlyList<ValueKind> results) =>
        $"({string.Join(", ", parameters.Select(Name))}) -> ({string.Join(", ", results.Select(Name))})";

    private static string Name(ValueKind kind) => kind switch
    {
        ValueKind.Int32 => "i32",
        ValueKind.Int64 => "i64",
        ValueKind.Float32 => "f32",
        ValueKind.Float64 => "f64",
        ValueKind.V128 => "v128",
        _ => kind.ToString(),
    };
}
