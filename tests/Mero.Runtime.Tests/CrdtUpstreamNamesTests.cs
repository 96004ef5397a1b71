using System.Buffers.Binary;
using System.Text;
using Mero.Primitives.Clock;
using Mero.Runtime.Host;
using Mero.State.Crdt;
using Mero.Store;
using Xunit;

namespace Mero.Runtime.Tests;

/// <summary>
/// Upstream's *_new_with_id constructors and sorted map / sorted set names, from a WAT guest
/// against a real CRDT transaction, with hostile inputs.
/// </summary>
public sealed class CrdtUpstreamNamesTests : IDisposable
{
    // Descriptors at 0..127, data at 256.., the id at 1024, outputs at 4096.
    private static readonly byte[] Wasm = Guest.Raw("""
        (module
          (import "env" "register_len" (func $register_len (param i64) (result i64)))
          (import "env" "read_register" (func $read_register (param i64 i64) (result i32)))
          (import "env" "value_return" (func $value_return (param i64)))
          (import "env" "js_crdt_map_new_with_id" (func $map_new_with_id (param i64 i64) (result i32)))
          (import "env" "js_crdt_vector_new_with_id" (func $vector_new_with_id (param i64 i64) (result i32)))
          (import "env" "js_crdt_set_new_with_id" (func $set_new_with_id (param i64 i64) (result i32)))
          (import "env" "js_crdt_lww_new_with_id" (func $lww_new_with_id (param i64 i64) (result i32)))
          (import "env" "js_crdt_counter_new_with_id" (func $counter_new_with_id (param i64 i64) (result i32)))
          (import "env" "js_crdt_pncounter_new_with_id" (func $pn_new_with_id (param i64 i64) (result i32)))
          (import "env" "js_crdt_rga_new_with_id" (func $rga_new_with_id (param i64 i64) (result i32)))
          (import "env" "js_crdt_text_new_with_id" (func $text_new_with_id (param i64 i64) (result i32)))
          (import "env" "js_crdt_sortedmap_new" (func $smap_new (param i64) (result i32)))
          (import "env" "js_crdt_sortedmap_new_with_id" (func $smap_new_with_id (param i64 i64) (result i32)))
          (import "env" "js_crdt_sortedmap_get" (func $smap_get (param i64 i64 i64) (result i32)))
          (import "env" "js_crdt_sortedmap_insert" (func $smap_insert (param i64 i64 i64 i64) (result i32)))
          (import "env" "js_crdt_sortedmap_remove" (func $smap_remove (param i64 i64 i64) (result i32)))
          (import "env" "js_crdt_sortedmap_contains" (func $smap_contains (param i64 i64) (result i32)))
          (import "env" "js_crdt_sortedmap_iter" (func $smap_iter (param i64 i64) (result i32)))
          (import "env" "js_crdt_sortedset_new" (func $sset_new (param i64) (result i32)))
          (import "env" "js_crdt_sortedset_new_with_id" (func $sset_new_with_id (param i64 i64) (result i32)))
          (import "env" "js_crdt_sortedset_insert" (func $sset_insert (param i64 i64) (result i32)))
          (import "env" "js_crdt_sortedset_contains" (func $sset_contains (param i64 i64) (result i32)))
          (import "env" "js_crdt_sortedset_remove" (func $sset_remove (param i64 i64) (result i32)))
          (import "env" "js_crdt_sortedset_len" (func $sset_len (param i64 i64) (result i32)))
          (import "env" "js_crdt_sortedset_iter" (func $sset_iter (param i64 i64) (result i32)))
          (import "env" "js_crdt_sortedset_clear" (func $sset_clear (param i64) (result i32)))
          (import "env" "js_crdt_map_insert" (func $map_insert (param i64 i64 i64 i64) (result i32)))
          (import "env" "js_crdt_map_get" (func $map_get (param i64 i64 i64) (result i32)))
          (import "env" "js_crdt_pncounter_decrement" (func $pn_dec (param i64) (result i32)))
          (import "env" "js_crdt_pncounter_value" (func $pn_value (param i64 i64) (result i32)))
          (import "env" "js_crdt_rga_insert" (func $rga_insert (param i64 i64 i64) (result i32)))
          (import "env" "js_crdt_rga_get_text" (func $rga_get_text (param i64 i64) (result i32)))
          (memory (export "memory") 1)
          (data (i32.const 256) "b")
          (data (i32.const 257) "a")
          (data (i32.const 258) "c")
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
          ;; The id 07 07 ... at 1024, its descriptor at 32; keys b, a, c at 48, 64, 80; "value" at 96.
          (func $setup (param $fill i32)
            (memory.fill (i32.const 1024) (local.get $fill) (i32.const 32))
            (call $buf (i32.const 32) (i32.const 1024) (i32.const 32))
            (call $buf (i32.const 48) (i32.const 256) (i32.const 1))
            (call $buf (i32.const 64) (i32.const 257) (i32.const 1))
            (call $buf (i32.const 80) (i32.const 258) (i32.const 1))
            (call $buf (i32.const 96) (i32.const 288) (i32.const 5)))
          ;; The error message of register $r as the return value.
          (func $fail (param $r i64)
            (call $ok (i32.const 4096) (call $reg (local.get $r) (i32.const 4096))))
          ;; Two constructors at the same id address one map: returns (code ‖ id from register 5 ‖ value read through the second).
          (func (export "map_with_id")
            (call $setup (i32.const 7))
            (i32.store (i32.const 4096) (call $map_new_with_id (i64.const 32) (i64.const 5)))
            (drop (call $reg (i64.const 5) (i32.const 4100)))
            (drop (call $map_insert (i64.const 32) (i64.const 48) (i64.const 96) (i64.const 6)))
            (drop (call $map_new_with_id (i64.const 32) (i64.const 5)))
            (drop (call $map_get (i64.const 32) (i64.const 48) (i64.const 7)))
            (call $ok (i32.const 4096) (i32.add (i32.const 36) (call $reg (i64.const 7) (i32.const 4132)))))
          (func (export "all_with_id")
            ;; Each kind at its own id; every constructor must return 0.
            (local $sum i32)
            (call $setup (i32.const 1))
            (local.set $sum (call $vector_new_with_id (i64.const 32) (i64.const 5)))
            (call $setup (i32.const 2))
            (local.set $sum (i32.add (local.get $sum) (call $set_new_with_id (i64.const 32) (i64.const 5))))
            (call $setup (i32.const 3))
            (local.set $sum (i32.add (local.get $sum) (call $lww_new_with_id (i64.const 32) (i64.const 5))))
            (call $setup (i32.const 4))
            (local.set $sum (i32.add (local.get $sum) (call $counter_new_with_id (i64.const 32) (i64.const 5))))
            (call $setup (i32.const 5))
            (local.set $sum (i32.add (local.get $sum) (call $text_new_with_id (i64.const 32) (i64.const 5))))
            (call $setup (i32.const 6))
            (local.set $sum (i32.add (local.get $sum) (call $smap_new_with_id (i64.const 32) (i64.const 5))))
            (call $setup (i32.const 8))
            (local.set $sum (i32.add (local.get $sum) (call $sset_new_with_id (i64.const 32) (i64.const 5))))
            ;; pncounter at id 9: one decrement → value -1.
            (call $setup (i32.const 9))
            (local.set $sum (i32.add (local.get $sum) (call $pn_new_with_id (i64.const 32) (i64.const 5))))
            (drop (call $pn_dec (i64.const 32)))
            (drop (call $pn_value (i64.const 32) (i64.const 7)))
            (drop (call $reg (i64.const 7) (i32.const 4100)))
            ;; rga at id 10 holding "value".
            (call $setup (i32.const 10))
            (local.set $sum (i32.add (local.get $sum) (call $rga_new_with_id (i64.const 32) (i64.const 5))))
            (drop (call $rga_insert (i64.const 32) (i64.const 0) (i64.const 96)))
            (drop (call $rga_get_text (i64.const 32) (i64.const 7)))
            (i32.store (i32.const 4096) (local.get $sum))
            (call $ok (i32.const 4096) (i32.add (i32.const 12) (call $reg (i64.const 7) (i32.const 4108)))))
          ;; Sorted map: insert b, a, c; remove c; returns (iter code ‖ contains a ‖ iter bytes).
          (func (export "sortedmap")
            (call $setup (i32.const 7))
            (drop (call $smap_new (i64.const 5)))
            (drop (call $reg (i64.const 5) (i32.const 1024)))
            (drop (call $smap_insert (i64.const 32) (i64.const 48) (i64.const 96) (i64.const 6)))
            (drop (call $smap_insert (i64.const 32) (i64.const 64) (i64.const 48) (i64.const 6)))
            (drop (call $smap_insert (i64.const 32) (i64.const 80) (i64.const 64) (i64.const 6)))
            (drop (call $smap_remove (i64.const 32) (i64.const 80) (i64.const 6)))
            (i32.store (i32.const 4096) (call $smap_iter (i64.const 32) (i64.const 7)))
            (i32.store (i32.const 4100) (call $smap_contains (i64.const 32) (i64.const 64)))
            (call $ok (i32.const 4096) (i32.add (i32.const 8) (call $reg (i64.const 7) (i32.const 4104)))))
          ;; Sorted set: insert c, b, a, a again, remove b; returns (len code ‖ len ‖ iter code ‖ iter bytes).
          (func (export "sortedset")
            (call $setup (i32.const 7))
            (drop (call $sset_new (i64.const 5)))
            (drop (call $reg (i64.const 5) (i32.const 1024)))
            (drop (call $sset_insert (i64.const 32) (i64.const 80)))
            (drop (call $sset_insert (i64.const 32) (i64.const 48)))
            (drop (call $sset_insert (i64.const 32) (i64.const 64)))
            (i32.store (i32.const 4000) (call $sset_insert (i64.const 32) (i64.const 64)))
            (drop (call $sset_remove (i64.const 32) (i64.const 48)))
            (i32.store (i32.const 4096) (call $sset_len (i64.const 32) (i64.const 7)))
            (drop (call $reg (i64.const 7) (i32.const 4100)))
            (i32.store (i32.const 4108) (call $sset_iter (i64.const 32) (i64.const 7)))
            (call $ok (i32.const 4096) (i32.add (i32.const 16) (call $reg (i64.const 7) (i32.const 4112)))))
          (func (export "sortedset_clear")
            (call $setup (i32.const 7))
            (drop (call $sset_new_with_id (i64.const 32) (i64.const 5)))
            (drop (call $sset_insert (i64.const 32) (i64.const 80)))
            (drop (call $sset_clear (i64.const 32)))
            (i32.store (i32.const 4096) (call $sset_contains (i64.const 32) (i64.const 80)))
            (call $ok (i32.const 4096) (i32.const 4)))
          (func (export "zero_id")
            (call $setup (i32.const 0))
            (if (i32.eq (call $map_new_with_id (i64.const 32) (i64.const 5)) (i32.const -1))
              (then (call $fail (i64.const 5)))))
          (func (export "short_id")
            (call $setup (i32.const 7))
            (call $buf (i32.const 32) (i32.const 1024) (i32.const 31))
            (if (i32.eq (call $sset_new_with_id (i64.const 32) (i64.const 5)) (i32.const -1))
              (then (call $fail (i64.const 5)))))
          (func (export "wrong_kind")
            (call $setup (i32.const 7))
            (drop (call $map_new_with_id (i64.const 32) (i64.const 5)))
            (if (i32.eq (call $sset_new_with_id (i64.const 32) (i64.const 5)) (i32.const -1))
              (then (call $fail (i64.const 5)))))
          (func (export "sortedmap_unknown_id")
            (call $setup (i32.const 7))
            (if (i32.eq (call $smap_insert (i64.const 32) (i64.const 48) (i64.const 96) (i64.const 6)) (i32.const -1))
              (then (call $fail (i64.const 6)))))
          (func (export "bad_pointer")
            (call $buf (i32.const 32) (i32.const 65530) (i32.const 32))
            (drop (call $rga_new_with_id (i64.const 32) (i64.const 5))))
          (func (export "bad_descriptor_pointer")
            (drop (call $smap_new_with_id (i64.const 70000) (i64.const 5))))
          (func (export "oversized")
            (call $buf (i32.const 32) (i32.const 1024) (i32.const 0x40000000))
            (drop (call $counter_new_with_id (i64.const 32) (i64.const 5)))))
        """);

    private readonly string _path = Path.Combine(Path.GetTempPath(), "mero-crdt-upstream-" + Guid.NewGuid().ToString("N"));
    private readonly MeroStore _store;

    public CrdtUpstreamNamesTests() => _store = MeroStore.Open(_path);

    public void Dispose()
    {
        _store.Dispose();
        Directory.Delete(_path, recursive: true);
    }

    [Fact]
    public void MapNewWithIdReturnsThatIdAndTwoHandlesShareOneMap()
    {
        var storage = Storage();
        var bytes = Run("map_with_id", storage);
        Assert.Equal(0, BinaryPrimitives.ReadInt32LittleEndian(bytes));
        Assert.Equal(Enumerable.Repeat((byte)7, 32).ToArray(), bytes[4..36]);
        Assert.Equal("value", Encoding.UTF8.GetString(bytes[36..]));
        var id = new CollectionRef(Hash.FromBytes(Enumerable.Repeat((byte)7, 32).ToArray()), CrdtKind.Map);
        Assert.Equal("value"u8.ToArray(), storage.Transaction.MapGet(id, "b"u8));
    }

    [Fact]
    public void EveryNewWithIdConstructorSucceedsAndItsCollectionWorks()
    {
        var storage = Storage();
        var bytes = Run("all_with_id", storage);
        Assert.Equal(0, BinaryPrimitives.ReadInt32LittleEndian(bytes));
        Assert.Equal(-1L, BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(4)));
        Assert.Equal("value", Encoding.UTF8.GetString(bytes[12..]));
        CrdtKind[] kinds = [CrdtKind.Vector, CrdtKind.Set, CrdtKind.Register, CrdtKind.Counter, CrdtKind.Text, CrdtKind.Map, CrdtKind.Set, CrdtKind.Counter, CrdtKind.Text];
        byte[] fills = [1, 2, 3, 4, 5, 6, 8, 9, 10];
        for (var i = 0; i < kinds.Length; i++)
        {
            Assert.True(storage.Transaction.Exists(new CollectionRef(Hash.FromBytes(Enumerable.Repeat(fills[i], 32).ToArray()), kinds[i])), $"{kinds[i]} at {fills[i]}");
        }
    }

    [Fact]
    public void SortedMapIteratesInKeyOrder()
    {
        var bytes = Run("sortedmap", Storage());
        Assert.Equal(1, BinaryPrimitives.ReadInt32LittleEndian(bytes));
        Assert.Equal(1, BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(4)));
        Assert.Equal(["a=b", "b=value"], Items(bytes[8..], pairs: true));
    }

    [Fact]
    public void SortedSetLenIterAndClear()
    {
        var bytes = Run("sortedset", Storage());
        Assert.Equal(1, BinaryPrimitives.ReadInt32LittleEndian(bytes));
        Assert.Equal(2UL, BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(4)));
        Assert.Equal(1, BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(12)));
        Assert.Equal(["a", "c"], Items(bytes[16..], pairs: false));
        Assert.Equal(0, BinaryPrimitives.ReadInt32LittleEndian(Run("sortedset_clear", Storage())));
    }

    [Theory]
    [InlineData("zero_id", "must not be all zeros")]
    [InlineData("short_id", "exactly 32 bytes (received 31)")]
    [InlineData("wrong_kind", "exists as a Map, not a Set")]
    [InlineData("sortedmap_unknown_id", "no Map")]
    public void HostileIdsReturnMinusOneWithAClearMessage(string method, string message)
    {
        var storage = Storage();
        var outcome = TestEngines.Default.Run(Wasm, method, storage: storage);
        Assert.True(outcome.Success, outcome.Error?.Message);
        Assert.Contains(message, outcome.Text(), StringComparison.Ordinal);
        if (method != "wrong_kind")
        {
            Assert.False(storage.Transaction.HasChanges);
        }
        else
        {
            // The map made first is the only collection: one declaration, no set.
            Assert.Single(storage.Transaction.Delta.Declarations);
            Assert.Equal(CrdtKind.Map, storage.Transaction.Delta.Declarations[0].Kind);
        }
    }

    [Theory]
    [InlineData("bad_pointer", HostErrorCode.InvalidMemoryAccess)]
    [InlineData("bad_descriptor_pointer", HostErrorCode.InvalidMemoryAccess)]
    [InlineData("oversized", HostErrorCode.ValueLengthOverflow)]
    public void BadPointersAndOversizedIdsTrap(string method, HostErrorCode code)
    {
        var storage = Storage();
        TestEngines.Default.Run(Wasm, method, storage: storage).AssertHostError(code);
        Assert.False(storage.Transaction.HasChanges);
    }

    private byte[] Run(string method, CrdtTestStorage storage)
    {
        var outcome = TestEngines.Default.Run(Wasm, method, storage: storage);
        Assert.True(outcome.Success, outcome.Error?.Message);
        return outcome.ReturnValue!;
    }

    private static List<string> Items(byte[] bytes, bool pairs)
    {
        var count = BinaryPrimitives.ReadInt32LittleEndian(bytes);
        var at = 4;
        var list = new List<string>();
        string Next()
        {
            var length = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(at));
            var s = Encoding.UTF8.GetString(bytes, at + 4, length);
            at += 4 + length;
            return s;
        }

        for (var i = 0; i < count; i++)
        {
            list.Add(pairs ? Next() + "=" + Next() : Next());
        }

        Assert.Equal(bytes.Length, at);
        return list;
    }

    private CrdtTestStorage Storage()
    {
        var executor = PublicKey.FromBytes(TestEngines.Filled(0xE2));
        return new CrdtTestStorage(new CrdtTransaction(_store, ContextId.FromBytes(TestEngines.Filled(0xC2)), executor, new HybridLogicalClock(executor)));
    }
}
