using Xunit;

namespace Mero.Runtime.Tests;

/// <summary>
/// Upstream's Rust guest SDK imports exactly the functions of crates/sys/src/lib.rs. A module
/// importing all of them, with their wasm signatures, must be accepted, so an app built with that
/// SDK links on this runtime.
/// </summary>
public sealed class UpstreamSysAbiTests
{
    private const string L1 = "(param i64)", L2 = "(param i64 i64)", L3 = "(param i64 i64 i64)";

    private static readonly (string Name, string Type)[] SysImports =
    [
        ("panic", L1), ("panic_utf8", L2),
        ("register_len", L1 + " (result i64)"), ("read_register", L2 + " (result i32)"),
        ("context_id", L1), ("account_id", L1), ("device_id", L1), ("xcall_origin", L1 + " (result i32)"),
        ("input", L1), ("value_return", L1), ("emit_migration_witness", L1), ("log_utf8", L1),
        ("emit", L1), ("emit_with_handler", L2), ("xcall", L1), ("commit", L2),
        ("storage_read", L2 + " (result i32)"), ("storage_remove", L2 + " (result i32)"), ("storage_write", L3 + " (result i32)"),
        ("storage_index_set", L2 + " (result i32)"), ("storage_index_remove", L1 + " (result i32)"),
        ("storage_index_remove_prefix", L1 + " (result i32)"), ("storage_index_scan", "(param i64 i64 i64 i64 i64) (result i32)"),
        ("storage_index_last", L3 + " (result i32)"), ("storage_index_meta_set", L2 + " (result i32)"),
        ("storage_index_meta_get", L2 + " (result i32)"), ("storage_index_meta_clear", L1 + " (result i32)"),
        ("private_storage_read", L2 + " (result i32)"), ("private_storage_remove", L2 + " (result i32)"),
        ("private_storage_write", L2 + " (result i32)"), ("fetch", "(param i64 i64 i64 i64 i64) (result i32)"),
        ("random_bytes", L1), ("time_now", L1), ("ed25519_verify", L3 + " (result i32)"),
        ("blob_create", "(result i64)"), ("blob_open", L1 + " (result i64)"), ("blob_read", L2 + " (result i64)"),
        ("blob_write", L2 + " (result i64)"), ("blob_close", L2 + " (result i32)"), ("blob_announce_to_context", L2 + " (result i32)"),
    ];

    [Fact]
    public void A_module_importing_all_of_upstreams_sys_abi_is_accepted_and_runs()
    {
        var imports = string.Join("\n", SysImports.Select((f, i) => $"""  (import "env" "{f.Name}" (func $f{i} {f.Type}))"""));
        var wasm = Guest.Raw($$"""
            (module
            {{imports}}
              (memory (export "memory") 1)
              (func (export "ids")
                (call $f5 (i64.const 1))
                (call $f6 (i64.const 2))))
            """);

        var outcome = TestEngines.Default.Run(wasm, "ids");

        Assert.True(outcome.Success, outcome.Error?.ToString());
        Assert.Equal(SysImports.Length, SysImports.Select(f => f.Name).Distinct().Count());
        Assert.All(SysImports, f => Assert.Contains(f.Name, TestEngines.Default.HostFunctions));
    }
}
