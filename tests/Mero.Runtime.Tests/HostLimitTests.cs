using System.Buffers.Binary;
using Xunit;

namespace Mero.Runtime.Tests;

/// <summary>Each upstream limit traps with its own host error code.</summary>
public sealed class HostLimitTests
{
    private static readonly byte[] Guests = Guest.Bytes("""
        (data (i32.const 256) "greeting")
        (data (i32.const 288) "hello log")
        (data (i32.const 304) "Created")
        (data (i32.const 320) "\ff\fe\fd")
        (func (export "key_too_big")
          (call $buf (i32.const 0) (i32.const 0) (i32.const 1048577))
          (drop (call $storage_read (i64.const 0) (i64.const 1))))
        (func (export "key_at_limit")
          (call $buf (i32.const 0) (i32.const 0) (i32.const 65536))
          (drop (call $storage_read (i64.const 0) (i64.const 1))))
        (func (export "value_too_big")
          (call $buf (i32.const 0) (i32.const 256) (i32.const 8))
          (call $buf (i32.const 16) (i32.const 0) (i32.const 10485761))
          (drop (call $storage_write (i64.const 0) (i64.const 16) (i64.const 1))))
        (func (export "log_too_long")
          (call $buf (i32.const 0) (i32.const 0) (i32.const 16385))
          (call $log_utf8 (i64.const 0)))
        (func (export "too_many_logs") (local $i i32)
          (call $buf (i32.const 0) (i32.const 288) (i32.const 9))
          (loop $again
            (call $log_utf8 (i64.const 0))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br_if $again (i32.lt_u (local.get $i) (i32.const 1025)))))
        (func (export "event_kind_too_big")
          (call $buf (i32.const 0) (i32.const 0) (i32.const 101))
          (call $buf (i32.const 16) (i32.const 0) (i32.const 1))
          (call $emit (i64.const 0)))
        (func (export "event_data_too_big")
          (call $buf (i32.const 0) (i32.const 304) (i32.const 7))
          (call $buf (i32.const 16) (i32.const 0) (i32.const 16385))
          (call $emit (i64.const 0)))
        (func (export "too_many_events") (local $i i32)
          (call $buf (i32.const 0) (i32.const 304) (i32.const 7))
          (call $buf (i32.const 16) (i32.const 0) (i32.const 0))
          (loop $again
            (call $emit (i64.const 0))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br_if $again (i32.lt_u (local.get $i) (i32.const 101)))))
        (func (export "return_too_big")
          (call $ok (i32.const 0) (i32.const 16777217)))
        (func (export "bad_utf8_log")
          (call $buf (i32.const 0) (i32.const 320) (i32.const 3))
          (call $log_utf8 (i64.const 0)))
        (func (export "bad_utf8_event_kind")
          (call $buf (i32.const 0) (i32.const 320) (i32.const 3))
          (call $buf (i32.const 16) (i32.const 0) (i32.const 0))
          (call $emit (i64.const 0)))
        (func (export "descriptor_out_of_bounds")
          (call $log_utf8 (i64.const 65530)))
        (func (export "descriptor_pointer_max")
          (call $log_utf8 (i64.const -1)))
        (func (export "buffer_out_of_bounds")
          (call $buf (i32.const 0) (i32.const 65000) (i32.const 1000))
          (call $log_utf8 (i64.const 0)))
        (func (export "buffer_overflows_u64")
          (i64.store (i32.const 0) (i64.const -1))
          (i64.store (i32.const 8) (i64.const 2))
          (call $log_utf8 (i64.const 0)))
        (func (export "value_return_tag_2")
          (i64.store (i32.const 200) (i64.const 2))
          (call $buf (i32.const 208) (i32.const 256) (i32.const 8))
          (call $value_return (i64.const 200)))
        (func (export "value_return_out_of_bounds")
          (call $value_return (i64.const 65530)))
        (func (export "registers")
          (i64.store (i32.const 4096) (call $register_len (i64.const 99)))
          (call $input (i64.const 1))
          (call $buf (i32.const 0) (i32.const 5000) (i32.const 2))
          (i32.store (i32.const 4104) (call $read_register (i64.const 1) (i64.const 0)))
          (i64.store (i32.const 4108) (call $register_len (i64.const 1)))
          (call $ok (i32.const 4096) (i32.const 20)))
        (func (export "read_absent_register")
          (call $buf (i32.const 0) (i32.const 5000) (i32.const 2))
          (drop (call $read_register (i64.const 42) (i64.const 0))))
        (func (export "read_register_out_of_bounds")
          (call $input (i64.const 1))
          (call $buf (i32.const 0) (i32.const 65535) (i32.const 3))
          (drop (call $read_register (i64.const 1) (i64.const 0))))
        (func (export "grow")
          (i32.store (i32.const 4096) (memory.grow (i32.const 3000)))
          (i32.store (i32.const 4100) (memory.grow (i32.const 1)))
          (call $ok (i32.const 4096) (i32.const 8)))
        (func (export "grow_then_trap")
          (if (i32.eq (memory.grow (i32.const 3000)) (i32.const -1)) (then unreachable)))
        (func (export "grow_past_cap_then_trap")
          (if (i32.ne (memory.grow (i32.const 2000)) (i32.const -1)) (then unreachable)))
        """);

    private readonly WasmEngine _engine = TestEngines.Default;

    [Theory]
    [InlineData("key_too_big", HostErrorCode.KeyLengthOverflow)]
    [InlineData("value_too_big", HostErrorCode.ValueLengthOverflow)]
    [InlineData("log_too_long", HostErrorCode.LogLengthOverflow)]
    [InlineData("too_many_logs", HostErrorCode.LogsOverflow)]
    [InlineData("event_kind_too_big", HostErrorCode.EventKindSizeOverflow)]
    [InlineData("event_data_too_big", HostErrorCode.EventDataSizeOverflow)]
    [InlineData("too_many_events", HostErrorCode.EventsOverflow)]
    [InlineData("return_too_big", HostErrorCode.ReturnValueTooLarge)]
    [InlineData("bad_utf8_log", HostErrorCode.BadUtf8)]
    [InlineData("bad_utf8_event_kind", HostErrorCode.BadUtf8)]
    [InlineData("descriptor_out_of_bounds", HostErrorCode.InvalidMemoryAccess)]
    [InlineData("descriptor_pointer_max", HostErrorCode.InvalidMemoryAccess)]
    [InlineData("buffer_out_of_bounds", HostErrorCode.InvalidMemoryAccess)]
    [InlineData("buffer_overflows_u64", HostErrorCode.InvalidMemoryAccess)]
    [InlineData("value_return_tag_2", HostErrorCode.DeserializationError)]
    [InlineData("value_return_out_of_bounds", HostErrorCode.InvalidMemoryAccess)]
    [InlineData("read_absent_register", HostErrorCode.InvalidRegisterId)]
    [InlineData("read_register_out_of_bounds", HostErrorCode.InvalidMemoryAccess)]
    public void Limit_violations_trap_with_their_own_code(string method, HostErrorCode expected)
    {
        _engine.Run(Guests, method, "abc").AssertHostError(expected);
    }

    [Fact]
    public void A_key_within_the_limit_is_accepted()
    {
        Assert.True(_engine.Run(Guests, "key_at_limit").Success);
    }

    [Fact]
    public void Logs_written_before_the_overflow_are_kept()
    {
        var outcome = _engine.Run(Guests, "too_many_logs");

        outcome.AssertHostError(HostErrorCode.LogsOverflow);
        Assert.Equal(1024, outcome.Logs.Count);
    }

    [Fact]
    public void Register_rules_follow_upstream()
    {
        var bytes = _engine.Run(Guests, "registers", "abc").ReturnValue!;

        Assert.Equal(ulong.MaxValue, BinaryPrimitives.ReadUInt64LittleEndian(bytes)); // absent register
        Assert.Equal(0u, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8))); // length mismatch
        Assert.Equal(3ul, BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(12)));
    }

    [Fact]
    public void A_register_larger_than_the_limit_is_refused()
    {
        using var engine = new WasmEngine(new VmLimits { MaxRegisterSize = 1024, MaxRegistersCapacity = 4096 });

        var outcome = engine.Run(Guests, "registers", new string('x', 2048));
        outcome.AssertHostError(HostErrorCode.RegisterSizeOverflow);
        Assert.Equal("register size overflow (register 1, size: 2048, max: 1024)", outcome.Error!.Message);
        Assert.True(engine.Run(Guests, "registers", new string('x', 1024)).Success);
    }

    [Fact]
    public void Register_count_and_total_capacity_have_their_own_codes()
    {
        var fill = Guest.Bytes("""
            (func (export "fill") (local $i i64)
              (call $input (i64.const 0))
              (local.set $i (i64.const 1))
              (loop $again
                (call $input (local.get $i))
                (local.set $i (i64.add (local.get $i) (i64.const 1)))
                (br_if $again (i64.le_u (local.get $i) (i64.const 100)))))
            """);
        var count = _engine.Run(fill, "fill", "x");
        count.AssertHostError(HostErrorCode.RegistersOverflow);
        Assert.Equal("registers overflow (register 100, max registers: 100)", count.Error!.Message);

        using var small = new WasmEngine(new VmLimits { MaxRegisterSize = 1024, MaxRegistersCapacity = 2048 });
        var capacity = small.Run(fill, "fill", new string('x', 1000));
        capacity.AssertHostError(HostErrorCode.RegistersCapacityOverflow);
        Assert.StartsWith("registers capacity overflow (register 2 of 1000 bytes", capacity.Error!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_grow_past_twice_the_cap_is_refused_to_the_guest()
    {
        // 1 + 3000 pages is past Wasmtime's ceiling (2 x 1024), so memory.grow itself fails.
        var bytes = _engine.Run(Guests, "grow").ReturnValue!;

        Assert.Equal(-1, BinaryPrimitives.ReadInt32LittleEndian(bytes));
        Assert.Equal(1, BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(4))); // old size in pages
    }

    [Fact]
    public void A_trap_after_a_failed_grow_is_a_wasm_trap()
    {
        var outcome = _engine.Run(Guests, "grow_then_trap");

        outcome.AssertError(FunctionCallErrorCode.WasmTrap);
        Assert.Equal("Unreachable", outcome.Error!.TrapCode);
    }

    [Fact]
    public void Growth_past_the_cap_is_reported_before_a_later_trap()
    {
        var outcome = _engine.Run(Guests, "grow_past_cap_then_trap");

        outcome.AssertError(FunctionCallErrorCode.MemoryLimitExceeded);
        Assert.Equal("guest memory grew to 2001 pages, over the limit of 1024 pages (max_memory_pages)", outcome.Error!.Message);
    }

    [Fact]
    public void A_module_whose_initial_memory_exceeds_the_cap_fails_with_memory_limit_exceeded()
    {
        var wasm = Guest.Bytes("""(func (export "noop"))""", """(memory (export "memory") 2000)""");

        _engine.Run(wasm, "noop").AssertError(FunctionCallErrorCode.MemoryLimitExceeded);
    }

    [Fact]
    public void The_storage_write_budget_is_enforced()
    {
        using var engine = new WasmEngine(new VmLimits { MaxStorageWrites = 2 });
        var wasm = Guest.Bytes("""
            (data (i32.const 256) "k")
            (func (export "write3")
              (call $buf (i32.const 0) (i32.const 256) (i32.const 1))
              (drop (call $storage_write (i64.const 0) (i64.const 0) (i64.const 1)))
              (drop (call $storage_write (i64.const 0) (i64.const 0) (i64.const 1)))
              (drop (call $storage_write (i64.const 0) (i64.const 0) (i64.const 1))))
            """);
        var storage = new RecordingStorage();

        engine.Run(wasm, "write3", storage: storage).AssertHostError(HostErrorCode.StorageWriteCountExceeded);
        Assert.Equal(2, storage.Calls.Count);
    }
}
