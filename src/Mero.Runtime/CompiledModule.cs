using Wasmtime;

namespace Mero.Runtime;

/// <summary>
/// A validated, compiled guest module, cached by its engine and shared by all runs. Owned and
/// disposed by the <see cref="WasmEngine"/> that produced it.
/// </summary>
public sealed class CompiledModule
{
    private readonly Dictionary<string, FunctionExport> _functions;

    internal CompiledModule(WasmEngine owner, Module module, string hash, int size)
    {
        Owner = owner;
        Module = module;
        Hash = hash;
        Size = size;
        _functions = module.Exports.OfType<FunctionExport>().ToDictionary(e => e.Name, StringComparer.Ordinal);
        ExportedFunctions = [.. _functions.Keys.Order(StringComparer.Ordinal)];
        InitialMemoryPages = module.Exports.OfType<MemoryExport>().First(e => e.Name == "memory").Minimum;
    }

    /// <summary>Lowercase hex SHA-256 of the module bytes (the cache key).</summary>
    public string Hash { get; }

    /// <summary>Size of the module bytes.</summary>
    public int Size { get; }

    /// <summary>Names of all exported functions, sorted ordinally.</summary>
    public IReadOnlyList<string> ExportedFunctions { get; }

    internal WasmEngine Owner { get; }

    internal Module Module { get; }

    internal long InitialMemoryPages { get; }

    internal FunctionExport? FindFunction(string name) => _functions.GetValueOrDefault(name);
}
