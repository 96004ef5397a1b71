using Mero.Runtime.Host;
using Wasmtime;

namespace Mero.Runtime;

/// <summary>Upstream's guest-module rules plus an exact check of every import against the linker.</summary>
internal static class ModuleValidator
{
    public const string MemoryExport = "memory";

    private static ReadOnlySpan<byte> Magic => "\0asm"u8;

    private static ReadOnlySpan<byte> Version1 => [1, 0, 0, 0];

    /// <summary>Checks done before handing the bytes to Wasmtime.</summary>
    public static void CheckBytes(ReadOnlySpan<byte> wasm, VmLimits limits)
    {
        if (wasm.Length > limits.MaxModuleSize)
        {
            throw new ModuleValidationException(
                $"module is {wasm.Length} bytes, over the {limits.MaxModuleSize}-byte limit (max_module_size)");
        }

        if (wasm.Length < 8 || !wasm[..4].SequenceEqual(Magic))
        {
            throw new ModuleValidationException("bytes are not a WebAssembly module (no \\0asm header)");
        }

        if (!wasm[4..8].SequenceEqual(Version1))
        {
            throw new ModuleValidationException(
                "unsupported WebAssembly binary version (only core modules, version 1, are accepted)");
        }
    }

    /// <summary>Checks the compiled module's imports and exports.</summary>
    public static void CheckModule(Module module, IReadOnlyDictionary<string, HostSignature> hostFunctions)
    {
        foreach (var import in module.Imports)
        {
            CheckImport(import, hostFunctions);
        }

        var exports = module.Exports;
        if (exports.Any(e => e.Name == "_start"))
        {
            throw new ModuleValidationException("module exports `_start`, which guest modules must not export");
        }

        var memory = exports.FirstOrDefault(e => e.Name == MemoryExport);
        if (memory is null)
        {
            throw new ModuleValidationException("module does not export a memory named `memory`");
        }

        if (memory is not Wasmtime.MemoryExport linear)
        {
            throw new ModuleValidationException("module exports `memory` but it is not a memory");
        }

        if (linear.Is64Bit)
        {
            throw new ModuleValidationException("module exports a 64-bit memory; guests must use wasm32 memory");
        }
    }

    private static void CheckImport(Import import, IReadOnlyDictionary<string, HostSignature> hostFunctions)
    {
        var name = $"{import.ModuleName}.{import.Name}";
        switch (import)
        {
            case MemoryImport:
                throw new ModuleValidationException(
                    $"module imports memory {name}; a guest must define and export its own memory");
            case FunctionImport function:
                if (import.ModuleName != HostFunctionRegistry.ModuleName ||
                    !hostFunctions.TryGetValue(import.Name, out var expected))
                {
                    throw new ModuleValidationException($"module imports {name} which this runtime does not provide");
                }

                if (!expected.Matches(function.Parameters, function.Results))
                {
                    throw new ModuleValidationException(
                        $"module imports {name} with signature {HostSignature.Format(function.Parameters, function.Results)}, " +
                        $"but this runtime provides {expected}");
                }

                break;
            default:
                throw new ModuleValidationException(
                    $"module imports {Kind(import)} {name} which this runtime does not provide");
        }
    }

    private static string Kind(Import import) => import switch
    {
        GlobalImport => "global",
        TableImport => "table",
        TagImport => "tag",
        _ => "item",
    };
}
