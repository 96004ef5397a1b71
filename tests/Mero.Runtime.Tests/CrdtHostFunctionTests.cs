using System.Buffers.Binary;
using System.Text;
using Mero.Primitives.Clock;
using Mero.Runtime.Host;
using Mero.State.Crdt;
using Mero.Store;
using Xunit;

namespace Mero.Runtime.Tests;

/// <summary>The js_crdt_* host functions from a WAT guest against a real CRDT transaction on RocksDB.</summary>
public sealed class CrdtHostFunctionTests : IDisposable
{
    // Scratch descriptors at 0..127, static data at 256.., ids at 1024, outputs at 4096.
    private static readonly byte[] Wasm = Guest.Raw("""
        (module
          (import "env" "register_len" (func $register_len (param i64) (result i64)))
          (import "env" "read_register" (func $read_register (param i64 i64) (result i32)))
          (import "env" "value_return" (func $value_return (param i64)))
          (import "env" "js_crdt_child" (func $child (param i64 i64 i64 i64) (result i32)))
          (import "env" "js_crdt_map_insert" (func $map_insert (param i64 i64 i64 i64) (result i32)))
          (import "env" "js_crdt_map_get" (func $map_get (param i64 i64 i64) (result i32)))
          (import "env" "js_crdt_text_insert" (func $text_insert (param i64 i64 i64) (result i32)))
          (import "env" "js_crdt_text_get" (func $text_get (param i64 i64) (result i32)))
          (import "env" "js_crdt_rga_new" (func $rga_new (param i64) (result i32)))
          (import "env" "js_crdt_rga_insert" (func $rga_insert (param i64 i64 i64) (result i32)))
          (import "env" "js_crdt_rga_delete" (func $rga_delete (param i64 i64) (result i32)))
          (import "env" "js_crdt_rga_get_text" (func $rga_get_text (param i64 i64) (result i32)))
          (import "env" "js_crdt_rga_len" (func $rga_len (param i64 i64) (result i32)))
          (import "env" "js_crdt_pncounter_new" (func $pn_new (param i64) (result i32)))
          (import "env" "js_crdt_pncounter_increment" (func $pn_inc (param i64) (result i32)))
          (import "env" "js_crdt_pncounter_decrement" (func $pn_dec (param i64) (result i32)))
          (import "env" "js_crdt_pncounter_value" (func $pn_value (param i64 i64) (result i32)))
          (memory (export "memory") 1)
          (data (i32.const 256) "m")
          (data (i32.const 272) "key")
          (data (i32.const 288) "value")
          (func $buf (param $at i32) (param $ptr i32) (param $len i32)
            (i64.store (local.get $at) (i64.extend_i32_u (local.get $ptr)))
            (i64.store offset=8 (local.get $at) (i64.extend_i32_u (local.get $len))))
          (func $reg (param $id i64) (param $dst i32) (result i32)
            (local $len i32)
            (local.set $len (i32.wrap_i64 (call $register_len (local.get $id))))
            (call $buf (i32.const 224) (local.get $dst) (local.get $len))
            (drop (call $read_register (local.get $id) (i64.const 224)))
            (local.get $len))
          (func $ok (param $ptr i32) (param $len i32)
            (i64.store (i32.const 200) (i64.const 0))
            (call $buf (i32.const 208) (local.get $ptr) (local.get $len))
            (call $value_return (i64.const 200)))
          ;; Opens collection "m" of kind $kind under the root; its id goes to 1024, descriptor at 32.
          (func $open (param $kind i64)
            (call $buf (i32.const 0) (i32.const 0) (i32.const 0))
            (call $buf (i32.const 16) (i32.const 256) (i32.const 1))
            (drop (call $child (i64.const 0) (i64.const 16) (local.get $kind) (i64.const 5)))
            (drop (call $reg (i64.const 5) (i32.const 1024)))
            (call $buf (i32.const 32) (i32.const 1024) (i32.const 32)))
          (func $kv
            (call $buf (i32.const 48) (i32.const 272) (i32.const 3))
            (call $buf (i32.const 64) (i32.const 288) (i32.const 5)))
          (func (export "map_roundtrip")
            (call $open (i64.const 1))
            (call $kv)
            (drop (call $map_insert (i64.const 32) (i64.const 48) (i64.const 64) (i64.const 6)))
            (if (i32.eq (call $map_get (i64.const 32) (i64.const 48) (i64.const 7)) (i32.const 1))
              (then (call $ok (i32.const 4096) (call $reg (i64.const 7) (i32.const 4096))))))
          (func (export "text_roundtrip")
            (call $open (i64.const 6))
            (call $kv)
            (drop (call $text_insert (i64.const 32) (i64.const 0) (i64.const 64)))
            (drop (call $text_insert (i64.const 32) (i64.const 5) (i64.const 48)))
            (drop (call $text_get (i64.const 32) (i64.const 7)))
            (call $ok (i32.const 4096) (call $reg (i64.const 7) (i32.const 4096))))
          (func (export "short_id")
            (call $buf (i32.const 32) (i32.const 1024) (i32.const 5))
            (call $kv)
            (if (i32.eq (call $map_insert (i64.const 32) (i64.const 48) (i64.const 64) (i64.const 6)) (i32.const -1))
              (then (call $ok (i32.const 4096) (call $reg (i64.const 6) (i32.const 4096))))))
          (func (export "unknown_id")
            (memory.fill (i32.const 1024) (i32.const 7) (i32.const 32))
            (call $buf (i32.const 32) (i32.const 1024) (i32.const 32))
            (call $kv)
            (if (i32.eq (call $map_insert (i64.const 32) (i64.const 48) (i64.const 64) (i64.const 6)) (i32.const -1))
              (then (call $ok (i32.const 4096) (call $reg (i64.const 6) (i32.const 4096))))))
          (func (export "text_out_of_range")
            (call $open (i64.const 6))
            (call $kv)
            (if (i32.eq (call $text_insert (i64.const 32) (i64.const 9) (i64.const 64)) (i32.const -1))
              (then (call $ok (i32.const 4096) (call $reg (i64.const 0) (i32.const 4096))))))
          (func (export "bad_pointer")
            (call $buf (i32.const 32) (i32.const 65530) (i32.const 32))
            (call $kv)
            (drop (call $map_insert (i64.const 32) (i64.const 48) (i64.const 64) (i64.const 6))))
          ;; A new collection's id goes to 1024 and its descriptor to 32.
          (func $new_id
            (drop (call $reg (i64.const 5) (i32.const 1024)))
            (call $buf (i32.const 32) (i32.const 1024) (i32.const 32)))
          (func (export "rga")
            (drop (call $rga_new (i64.const 5)))
            (call $new_id)
            (call $buf (i32.const 48) (i32.const 272) (i32.const 3))
            (call $buf (i32.const 64) (i32.const 288) (i32.const 5))
            (drop (call $rga_insert (i64.const 32) (i64.const 0) (i64.const 64)))
            (drop (call $rga_insert (i64.const 32) (i64.const 5) (i64.const 48)))
            (drop (call $rga_delete (i64.const 32) (i64.const 0)))
            (drop (call $rga_len (i64.const 32) (i64.const 8)))
            (drop (call $reg (i64.const 8) (i32.const 4096)))
            (drop (call $rga_get_text (i64.const 32) (i64.const 7)))
            (call $ok (i32.const 4096) (i32.add (i32.const 8) (call $reg (i64.const 7) (i32.const 4104)))))
          (func (export "rga_delete_past_end")
            (drop (call $rga_new (i64.const 5)))
            (call $new_id)
            (if (i32.eq (call $rga_delete (i64.const 32) (i64.const 0)) (i32.const -1))
              (then (call $ok (i32.const 4096) (call $reg (i64.const 0) (i32.const 4096))))))
          (func (export "pncounter")
            (drop (call $pn_new (i64.const 5)))
            (call $new_id)
            (drop (call $pn_inc (i64.const 32)))
            (drop (call $pn_inc (i64.const 32)))
            (drop (call $pn_dec (i64.const 32)))
            (drop (call $pn_dec (i64.const 32)))
            (drop (call $pn_dec (i64.const 32)))
            (drop (call $pn_value (i64.const 32) (i64.const 7)))
            (call $ok (i32.const 4096) (call $reg (i64.const 7) (i32.const 4096)))))
        """);

    private readonly string _path = Path.Combine(Path.GetTempPath(), "mero-crdt-host-" + Guid.NewGuid().ToString("N"));
    private readonly MeroStore _store;

    public CrdtHostFunctionTests() => _store = MeroStore.Open(_path);

    public void Dispose()
    {
        _store.Dispose();
        Directory.Delete(_path, recursive: true);
    }

    [Fact]
    public void MapInsertThenGetReturnsTheValueAndRecordsADelta()
    {
        var storage = Storage();
        var outcome = TestEngines.Default.Run(Wasm, "map_roundtrip", storage: storage);
        Assert.True(outcome.Success, outcome.Error?.Message);
        Assert.Equal("value", outcome.Text());
        var action = Assert.Single(storage.Transaction.Delta.Actions);
        Assert.Equal("key"u8.ToArray(), action.ItemKey);
    }

    [Fact]
    public void TextInsertsBuildTheText()
    {
        var outcome = TestEngines.Default.Run(Wasm, "text_roundtrip", storage: Storage());
        Assert.True(outcome.Success, outcome.Error?.Message);
        Assert.Equal("valuekey", outcome.Text());
    }

    [Theory]
    [InlineData("short_id", "exactly 32 bytes")]
    [InlineData("unknown_id", "no Map")]
    [InlineData("text_out_of_range", "cannot insert")]
    public void MisuseReturnsMinusOneWithTheMessageAndChangesNothing(string method, string message)
    {
        var storage = Storage();
        var outcome = TestEngines.Default.Run(Wasm, method, storage: storage);
        Assert.True(outcome.Success, outcome.Error?.Message);
        Assert.Contains(message, outcome.Text(), StringComparison.Ordinal);
        Assert.True(storage.Transaction.Delta.IsEmpty);
        Assert.False(storage.Transaction.HasChanges);
    }

    [Fact]
    public void ABadPointerTraps() =>
        TestEngines.Default.Run(Wasm, "bad_pointer", storage: Storage()).AssertHostError(HostErrorCode.InvalidMemoryAccess);

    [Fact]
    public void StorageWithoutCrdtStateIsAClearError()
    {
        var outcome = TestEngines.Default.Run(Wasm, "unknown_id", storage: new RecordingStorage());
        Assert.True(outcome.Success, outcome.Error?.Message);
        Assert.Contains("no CRDT state", outcome.Text(), StringComparison.Ordinal);
    }

    [Fact]
    public void RgaInsertDeleteLenAndGetText()
    {
        var outcome = TestEngines.Default.Run(Wasm, "rga", storage: Storage());
        Assert.True(outcome.Success, outcome.Error?.Message);
        var bytes = outcome.ReturnValue!;
        Assert.Equal(7UL, BinaryPrimitives.ReadUInt64LittleEndian(bytes));
        Assert.Equal("aluekey", System.Text.Encoding.UTF8.GetString(bytes.AsSpan(8)));
    }

    [Fact]
    public void RgaDeletePastTheEndIsMinusOneWithAMessage()
    {
        var storage = Storage();
        var outcome = TestEngines.Default.Run(Wasm, "rga_delete_past_end", storage: storage);
        Assert.True(outcome.Success, outcome.Error?.Message);
        Assert.Equal("cannot delete 1 chars at 0 in text of length 0", outcome.Text());
    }

    [Fact]
    public void PnCounterGoesNegative()
    {
        var outcome = TestEngines.Default.Run(Wasm, "pncounter", storage: Storage());
        Assert.True(outcome.Success, outcome.Error?.Message);
        Assert.Equal(-1L, BinaryPrimitives.ReadInt64LittleEndian(outcome.ReturnValue));
    }

    private CrdtTestStorage Storage()
    {
        var executor = PublicKey.FromBytes(TestEngines.Filled(0xE1));
        return new CrdtTestStorage(new CrdtTransaction(_store, ContextId.FromBytes(TestEngines.Filled(0xC1)), executor, new HybridLogicalClock(executor)));
    }
}
