using Mero.Runtime.Logic;
using Wasmtime;

namespace Mero.Runtime.Host;

/// <summary>
/// Defines host functions on the shared linker and remembers each one's signature. As upstream,
/// every ABI parameter is an i64 (pointers are widened u64s) and results are i32 or i64.
/// </summary>
internal sealed class HostFunctionRegistry(Linker linker)
{
    public const string ModuleName = "env";

    private static readonly ValueKind[] None = [];
    private static readonly ValueKind[] I32 = [ValueKind.Int32];
    private static readonly ValueKind[] I64 = [ValueKind.Int64];
    private static readonly ValueKind[] I64x2 = [ValueKind.Int64, ValueKind.Int64];
    private static readonly ValueKind[] I64x3 = [ValueKind.Int64, ValueKind.Int64, ValueKind.Int64];
    private static readonly ValueKind[] I64x4 = [ValueKind.Int64, ValueKind.Int64, ValueKind.Int64, ValueKind.Int64];
    private static readonly ValueKind[] I64x5 = [ValueKind.Int64, ValueKind.Int64, ValueKind.Int64, ValueKind.Int64, ValueKind.Int64];
    private static readonly ValueKind[] I32x4 = [ValueKind.Int32, ValueKind.Int32, ValueKind.Int32, ValueKind.Int32];

    private readonly Dictionary<string, HostSignature> _signatures = new(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, HostSignature> Signatures => _signatures;

    /// <summary>(i64) -> ()</summary>
    public void Action(string name, Action<VmLogic, ulong> body)
    {
        Record(name, I64, None);
        linker.DefineFunction(ModuleName, name, (Caller caller, long a) => body(VmLogic.From(caller), (ulong)a));
    }

    /// <summary>(i64, i64) -> ()</summary>
    public void Action(string name, Action<VmLogic, ulong, ulong> body)
    {
        Record(name, I64x2, None);
        linker.DefineFunction(ModuleName, name, (Caller caller, long a, long b) => body(VmLogic.From(caller), (ulong)a, (ulong)b));
    }

    /// <summary>(i64, i64, i64, i64) -> ()</summary>
    public void Action(string name, Action<VmLogic, ulong, ulong, ulong, ulong> body)
    {
        Record(name, I64x4, None);
        linker.DefineFunction(
            ModuleName,
            name,
            (Caller caller, long a, long b, long c, long d) => body(VmLogic.From(caller), (ulong)a, (ulong)b, (ulong)c, (ulong)d));
    }

    /// <summary>() -> i64</summary>
    public void FuncU64(string name, Func<VmLogic, ulong> body)
    {
        Record(name, None, I64);
        linker.DefineFunction(ModuleName, name, (Caller caller) => (long)body(VmLogic.From(caller)));
    }

    /// <summary>(i64, i64) -> i64</summary>
    public void FuncU64(string name, Func<VmLogic, ulong, ulong, ulong> body)
    {
        Record(name, I64x2, I64);
        linker.DefineFunction(ModuleName, name, (Caller caller, long a, long b) => (long)body(VmLogic.From(caller), (ulong)a, (ulong)b));
    }

    /// <summary>(i64) -> i32</summary>
    public void FuncU32(string name, Func<VmLogic, ulong, uint> body)
    {
        Record(name, I64, I32);
        linker.DefineFunction(ModuleName, name, (Caller caller, long a) => (int)body(VmLogic.From(caller), (ulong)a));
    }

    /// <summary>(i64, i64, i64, i64, i64) -> i32</summary>
    public void FuncU32(string name, Func<VmLogic, ulong, ulong, ulong, ulong, ulong, uint> body)
    {
        Record(name, I64x5, I32);
        linker.DefineFunction(
            ModuleName,
            name,
            (Caller caller, long a, long b, long c, long d, long e) =>
                (int)body(VmLogic.From(caller), (ulong)a, (ulong)b, (ulong)c, (ulong)d, (ulong)e));
    }

    /// <summary>(i64) -> i64</summary>
    public void FuncU64(string name, Func<VmLogic, ulong, ulong> body)
    {
        Record(name, I64, I64);
        linker.DefineFunction(ModuleName, name, (Caller caller, long a) => (long)body(VmLogic.From(caller), (ulong)a));
    }

    /// <summary>(i64, i64) -> i32</summary>
    public void FuncU32(string name, Func<VmLogic, ulong, ulong, uint> body)
    {
        Record(name, I64x2, I32);
        linker.DefineFunction(ModuleName, name, (Caller caller, long a, long b) => (int)body(VmLogic.From(caller), (ulong)a, (ulong)b));
    }

    /// <summary>(i64, i64, i64) -> i32</summary>
    public void FuncU32(string name, Func<VmLogic, ulong, ulong, ulong, uint> body)
    {
        Record(name, I64x3, I32);
        linker.DefineFunction(
            ModuleName,
            name,
            (Caller caller, long a, long b, long c) => (int)body(VmLogic.From(caller), (ulong)a, (ulong)b, (ulong)c));
    }

    /// <summary>(i32, i32, i32, i32) -> (): AssemblyScript's native calling convention, not the Calimero ABI.</summary>
    public void NativeAction(string name, Action<VmLogic, uint, uint, uint, uint> body)
    {
        Record(name, I32x4, None);
        linker.DefineFunction(
            ModuleName,
            name,
            (Caller caller, int a, int b, int c, int d) => body(VmLogic.From(caller), (uint)a, (uint)b, (uint)c, (uint)d));
    }

    /// <summary>Any signature, untyped: for families with many shapes (js_crdt_*).</summary>
    public void Untyped(string name, ValueKind[] parameters, ValueKind[] results, Function.UntypedCallbackDelegate body)
    {
        Record(name, parameters, results);
        linker.DefineFunction(ModuleName, name, body, parameters, results);
    }

    private void Record(string name, ValueKind[] parameters, ValueKind[] results)
    {
        if (!_signatures.TryAdd(name, new HostSignature(parameters, results)))
        {
            throw new InvalidOperationException($"host function env.{name} is defined twice");
        }
    }
}
