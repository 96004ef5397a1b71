using System.Text;
using Xunit;

namespace Mero.Runtime.Tests;

public sealed class ModuleValidationTests
{
    private readonly WasmEngine _engine = TestEngines.Default;

    private ModuleValidationException Reject(byte[] wasm) =>
        Assert.Throws<ModuleValidationException>(() => _engine.Compile(wasm));

    [Fact]
    public void Non_wasm_bytes_are_rejected()
    {
        Assert.Contains("not a WebAssembly module", Reject(Encoding.UTF8.GetBytes("hello, world")).Message);
        Assert.Contains("not a WebAssembly module", Reject([]).Message);
    }

    [Fact]
    public void A_malformed_module_is_rejected_with_the_compiler_reason()
    {
        var ex = Reject([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x05]);

        Assert.StartsWith("module failed to compile:", ex.Message);
    }

    [Fact]
    public void A_module_without_an_exported_memory_is_rejected()
    {
        var ex = Reject(Guest.Raw("""(module (memory 1) (func (export "f")))"""));

        Assert.Equal("module does not export a memory named `memory`", ex.Message);
    }

    [Fact]
    public void A_start_export_is_rejected()
    {
        var ex = Reject(Guest.Raw("""(module (memory (export "memory") 1) (func (export "_start")))"""));

        Assert.Contains("`_start`", ex.Message);
    }

    [Fact]
    public void An_imported_memory_is_rejected()
    {
        var ex = Reject(Guest.Raw("""(module (import "env" "memory" (memory 1)) (func (export "f")))"""));

        Assert.Contains("imports memory env.memory", ex.Message);
    }

    [Fact]
    public void An_unknown_import_is_rejected()
    {
        var ex = Reject(Guest.Raw("""
            (module (import "env" "foo" (func (param i64))) (memory (export "memory") 1))
            """));

        Assert.Equal("module imports env.foo which this runtime does not provide", ex.Message);
    }

    [Fact]
    public void An_import_from_another_module_is_rejected()
    {
        var ex = Reject(Guest.Raw("""
            (module (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
                    (memory (export "memory") 1))
            """));

        Assert.Equal("module imports wasi_snapshot_preview1.fd_write which this runtime does not provide", ex.Message);
    }

    [Fact]
    public void An_import_with_the_wrong_signature_is_rejected()
    {
        var ex = Reject(Guest.Raw("""
            (module (import "env" "storage_read" (func (param i32 i32) (result i32))) (memory (export "memory") 1))
            """));

        Assert.Equal(
            "module imports env.storage_read with signature (i32, i32) -> (i32), but this runtime provides (i64, i64) -> (i32)",
            ex.Message);
    }

    [Fact]
    public void A_global_import_is_rejected()
    {
        var ex = Reject(Guest.Raw("""(module (import "env" "g" (global i32)) (memory (export "memory") 1))"""));

        Assert.Equal("module imports global env.g which this runtime does not provide", ex.Message);
    }

    [Fact]
    public void A_module_over_the_size_cap_is_rejected()
    {
        using var engine = new WasmEngine(new VmLimits { MaxModuleSize = 64 });
        var wasm = Guest.Bytes("(func (export \"f\"))");

        var ex = Assert.Throws<ModuleValidationException>(() => engine.Compile(wasm));

        Assert.Contains("max_module_size", ex.Message);
    }

    [Fact]
    public void Identical_bytes_compile_once_and_exports_are_listed()
    {
        var wasm = Guest.Bytes("""(func (export "b")) (func (export "a"))""");

        var first = _engine.Compile(wasm);
        var second = _engine.Compile(wasm.ToArray());

        Assert.Same(first, second);
        Assert.Equal(["a", "b"], first.ExportedFunctions);
        Assert.Equal(64, first.Hash.Length);
        Assert.Equal(wasm.Length, first.Size);
    }

    [Fact]
    public void The_engine_lists_the_host_functions_it_provides()
    {
        Assert.Superset(
            new HashSet<string>
            {
                "input", "read_register", "register_len", "value_return", "storage_read", "storage_write",
                "storage_remove", "log_utf8", "panic", "panic_utf8", "emit", "context_id", "executor_id", "abort",
            },
            new HashSet<string>(_engine.HostFunctions));
    }

    [Fact]
    public void A_module_from_another_engine_is_refused()
    {
        using var other = new WasmEngine();
        var module = other.Compile(Guest.Bytes("(func (export \"f\"))"));

        Assert.Throws<ArgumentException>(() =>
            _engine.Run(module, "f", [], TestEngines.Context, new RecordingStorage()));
    }
}
