using System.Text;

namespace Mero.Runtime.Tests;

/// <summary>
/// Builds test guests from WAT. Every guest gets the ABI imports, a one-page memory and helpers:
/// <c>$buf(at, ptr, len)</c> writes a Buffer descriptor, <c>$ok(ptr, len)</c> / <c>$err(ptr, len)</c>
/// call value_return, <c>$reg(id, dst)</c> copies a register to memory and returns its length.
/// Layout: 0..255 scratch descriptors, 256..4095 static data, 4096.. free.
/// </summary>
internal static class Guest
{
    private const string Prelude = """
          (import "env" "input" (func $input (param i64)))
          (import "env" "register_len" (func $register_len (param i64) (result i64)))
          (import "env" "read_register" (func $read_register (param i64 i64) (result i32)))
          (import "env" "value_return" (func $value_return (param i64)))
          (import "env" "storage_read" (func $storage_read (param i64 i64) (result i32)))
          (import "env" "storage_write" (func $storage_write (param i64 i64 i64) (result i32)))
          (import "env" "storage_remove" (func $storage_remove (param i64 i64) (result i32)))
          (import "env" "log_utf8" (func $log_utf8 (param i64)))
          (import "env" "panic" (func $panic (param i64)))
          (import "env" "panic_utf8" (func $panic_utf8 (param i64 i64)))
          (import "env" "emit" (func $emit (param i64)))
          (import "env" "context_id" (func $context_id (param i64)))
          (import "env" "executor_id" (func $executor_id (param i64)))
          (import "env" "abort" (func $abort (param i32 i32 i32 i32)))
          (import "env" "emit_with_handler" (func $emit_with_handler (param i64 i64)))
          (import "env" "commit" (func $commit (param i64 i64)))
          (import "env" "private_storage_read" (func $private_storage_read (param i64 i64) (result i32)))
          (import "env" "private_storage_write" (func $private_storage_write (param i64 i64) (result i32)))
          (import "env" "private_storage_remove" (func $private_storage_remove (param i64 i64) (result i32)))
          (import "env" "xcall" (func $xcall (param i64)))
          (import "env" "xcall_origin" (func $xcall_origin (param i64) (result i32)))
          (import "env" "context_create" (func $context_create (param i64 i64 i64 i64)))
          (import "env" "context_delete" (func $context_delete (param i64)))
          (import "env" "context_add_member" (func $context_add_member (param i64)))
          (import "env" "context_remove_member" (func $context_remove_member (param i64)))
          (import "env" "context_is_member" (func $context_is_member (param i64) (result i32)))
          (import "env" "context_members" (func $context_members (param i64)))
          (import "env" "blob_create" (func $blob_create (result i64)))
          (import "env" "blob_write" (func $blob_write (param i64 i64) (result i64)))
          (import "env" "blob_close" (func $blob_close (param i64 i64) (result i32)))
          (import "env" "blob_open" (func $blob_open (param i64) (result i64)))
          (import "env" "blob_read" (func $blob_read (param i64 i64) (result i64)))
          (import "env" "blob_announce_to_context" (func $blob_announce_to_context (param i64 i64) (result i32)))
          (import "env" "random_bytes" (func $random_bytes (param i64)))
          (import "env" "time_now" (func $time_now (param i64)))
          (import "env" "ed25519_verify" (func $ed25519_verify (param i64 i64 i64) (result i32)))
          (import "env" "fetch" (func $fetch (param i64 i64 i64 i64 i64) (result i32)))
          (import "env" "account_id" (func $account_id (param i64)))
          (import "env" "device_id" (func $device_id (param i64)))
          (import "env" "emit_migration_witness" (func $emit_migration_witness (param i64)))
          (import "env" "storage_index_set" (func $storage_index_set (param i64 i64) (result i32)))
          (import "env" "storage_index_remove" (func $storage_index_remove (param i64) (result i32)))
          (import "env" "storage_index_remove_prefix" (func $storage_index_remove_prefix (param i64) (result i32)))
          (import "env" "storage_index_scan" (func $storage_index_scan (param i64 i64 i64 i64 i64) (result i32)))
          (import "env" "storage_index_last" (func $storage_index_last (param i64 i64 i64) (result i32)))
          (import "env" "storage_index_meta_set" (func $storage_index_meta_set (param i64 i64) (result i32)))
          (import "env" "storage_index_meta_get" (func $storage_index_meta_get (param i64 i64) (result i32)))
          (import "env" "storage_index_meta_clear" (func $storage_index_meta_clear (param i64) (result i32)))
          (import "env" "send_proposal" (func $send_proposal (param i64 i64)))
          (import "env" "approve_proposal" (func $approve_proposal (param i64)))
          (import "env" "js_std_d_print" (func $js_std_d_print (param i64 i64 i64) (result i32)))
          (func $buf (param $at i32) (param $ptr i32) (param $len i32)
            (i64.store (local.get $at) (i64.extend_i32_u (local.get $ptr)))
            (i64.store offset=8 (local.get $at) (i64.extend_i32_u (local.get $len))))
          (func $ret (param $tag i64) (param $ptr i32) (param $len i32)
            (i64.store (i32.const 200) (local.get $tag))
            (call $buf (i32.const 208) (local.get $ptr) (local.get $len))
            (call $value_return (i64.const 200)))
          (func $ok (param $ptr i32) (param $len i32) (call $ret (i64.const 0) (local.get $ptr) (local.get $len)))
          (func $err (param $ptr i32) (param $len i32) (call $ret (i64.const 1) (local.get $ptr) (local.get $len)))
          (func $reg (param $id i64) (param $dst i32) (result i32)
            (local $len i32)
            (local.set $len (i32.wrap_i64 (call $register_len (local.get $id))))
            (call $buf (i32.const 224) (local.get $dst) (local.get $len))
            (drop (call $read_register (local.get $id) (i64.const 224)))
            (local.get $len))
        """;

    /// <summary>WAT module text with the prelude, a one-page exported memory and <paramref name="body"/>.</summary>
    public static string Wat(string body, string memory = """(memory (export "memory") 1)""") =>
        $"(module\n{Prelude}\n{memory}\n{body}\n)";

    public static byte[] Bytes(string body, string memory = """(memory (export "memory") 1)""") =>
        Wasmtime.Module.ConvertText(Wat(body, memory));

    /// <summary>Raw WAT to bytes, for modules that must not get the prelude.</summary>
    public static byte[] Raw(string wat) => Wasmtime.Module.ConvertText(wat);

    /// <summary>A WAT data-string literal for arbitrary bytes.</summary>
    public static string Data(ReadOnlySpan<byte> bytes)
    {
        var sb = new StringBuilder();
        foreach (var b in bytes)
        {
            sb.Append('\\').Append(b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
        }

        return sb.ToString();
    }

    /// <summary>An AssemblyScript string (rtSize u32 then UTF-16LE) as a WAT data literal.</summary>
    public static string AsString(string text)
    {
        var utf16 = Encoding.Unicode.GetBytes(text);
        var bytes = new byte[4 + utf16.Length];
        BitConverter.TryWriteBytes(bytes, utf16.Length);
        utf16.CopyTo(bytes, 4);
        return Data(bytes);
    }
}
