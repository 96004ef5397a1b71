using System.Text;
using Xunit;

namespace Mero.Runtime.Tests;

/// <summary>
/// Guests that misbehave on purpose. Each one first overwrites key "k", then misbehaves; every
/// test checks the error is specific, the committed store still holds the original "k", and
/// the same engine serves the next call.
/// </summary>
public sealed class HostileGuestTests : IDisposable
{
    private static readonly byte[] Wasm = Guest.Bytes("""
        (data (i32.const 256) "k")
        (data (i32.const 264) "v")
        (data (i32.const 272) "alive")
        (data (i32.const 288) "boom: invariant broken")
        (data (i32.const 320) "\ff\fe\fd")
        (data (i32.const 336) "memory.grow refused")
        (data (i32.const 384) "\c1\c1\c1\c1\c1\c1\c1\c1\c1\c1\c1\c1\c1\c1\c1\c1\c1\c1\c1\c1\c1\c1\c1\c1\c1\c1\c1\c1\c1\c1\c1\c1")
        (data (i32.const 416) "again")
        (func $dirty
          (call $buf (i32.const 0) (i32.const 256) (i32.const 1))
          (call $buf (i32.const 16) (i32.const 264) (i32.const 1))
          (drop (call $storage_write (i64.const 0) (i64.const 16) (i64.const 1))))
        (func $panic_with (param $ptr i32) (param $len i32)
          (call $buf (i32.const 96) (local.get $ptr) (local.get $len))
          (call $panic_utf8 (i64.const 96) (i64.const 0)))
        (func (export "echo") (call $ok (i32.const 272) (i32.const 5)))
        (func (export "spin") (call $dirty) (loop $forever (br $forever)))
        (func (export "grow") (call $dirty)
          (if (i32.eq (memory.grow (i32.const 64)) (i32.const -1))
            (then (call $panic_with (i32.const 336) (i32.const 19)))))
        (func (export "grow_loop") (call $dirty)
          (loop $more (br_if $more (i32.ne (memory.grow (i32.const 1)) (i32.const -1))))
          (call $panic_with (i32.const 336) (i32.const 19)))
        (func (export "grow_quiet") (call $dirty)
          (drop (memory.grow (i32.const 20)))
          (i32.store (i32.const 1310000) (i32.const 7)))
        (func (export "grow_spin") (call $dirty)
          (drop (memory.grow (i32.const 20)))
          (loop $forever (i32.store (i32.const 1310000) (i32.const 7)) (br $forever)))
        (func (export "grow_to_cap")
          (if (i32.eq (memory.grow (i32.const 15)) (i32.const -1)) (then (unreachable)))
          (i32.store (i32.const 1048572) (i32.const 7))
          (call $ok (i32.const 272) (i32.const 5)))
        (func $deeper (param $n i64) (result i64)
          (i64.add (call $deeper (i64.add (local.get $n) (i64.const 1))) (i64.const 1)))
        (func (export "recurse") (call $dirty) (drop (call $deeper (i64.const 0))))
        (func (export "huge_register_read") (call $dirty)
          (call $input (i64.const 1))
          (call $buf (i32.const 32) (i32.const 0) (i32.wrap_i64 (call $register_len (i64.const 1))))
          (drop (call $read_register (i64.const 1) (i64.const 32))))
        (func (export "key_too_big") (call $dirty)
          (call $buf (i32.const 32) (i32.const 0) (i32.const 2097152))
          (drop (call $storage_read (i64.const 32) (i64.const 1))))
        (func (export "value_too_big") (call $dirty)
          (call $buf (i32.const 32) (i32.const 0) (i32.const 20971520))
          (drop (call $storage_write (i64.const 0) (i64.const 32) (i64.const 1))))
        (func (export "log_too_big") (call $dirty)
          (call $buf (i32.const 32) (i32.const 0) (i32.const 16385))
          (call $log_utf8 (i64.const 32)))
        (func (export "event_too_big") (call $dirty)
          (call $buf (i32.const 32) (i32.const 272) (i32.const 5))
          (call $buf (i32.const 48) (i32.const 0) (i32.const 16385))
          (call $emit (i64.const 32)))
        (func (export "panic_message") (call $dirty) (call $panic_with (i32.const 288) (i32.const 22)))
        (func (export "bad_utf8_log") (call $dirty)
          (call $buf (i32.const 32) (i32.const 320) (i32.const 3))
          (call $log_utf8 (i64.const 32)))
        (func (export "trap_in_host_call") (call $dirty)
          (drop (call $storage_read (i64.const 4294967280) (i64.const 1))))
        (func (export "reenter")
          (call $buf (i32.const 0) (i32.const 256) (i32.const 1))
          (drop (call $storage_read (i64.const 0) (i64.const 1)))
          (call $ok (i32.const 272) (i32.const 5)))
        (func (export "xcall_self") (call $dirty)
          (call $buf (i32.const 48) (i32.const 384) (i32.const 32))
          (call $buf (i32.const 64) (i32.const 416) (i32.const 5))
          (call $buf (i32.const 80) (i32.const 0) (i32.const 0))
          (call $xcall (i64.const 48)))
        """);

    private static readonly byte[] Original = "original"u8.ToArray();

    private readonly WasmEngine _engine = new(new VmLimits
    {
        MaxFuel = 50_000_000,
        ExecutionDeadline = TimeSpan.FromSeconds(2),
        MaxMemoryPages = 16,
    });

    public void Dispose() => _engine.Dispose();

    [Fact]
    public void An_infinite_loop_runs_out_of_gas() =>
        Hostile("spin").AssertError(FunctionCallErrorCode.GasExhausted);

    [Theory]
    [InlineData("grow_loop", 32)] // grows page by page until Wasmtime's ceiling (2x the cap), then calls the host
    [InlineData("grow_quiet", 21)] // grows, writes past the cap and returns without another host call
    [InlineData("grow_spin", 21)] // grows, then spins: the epoch tick or the end of the call catches it
    public void Memory_growth_past_the_cap_is_MemoryLimitExceeded(string method, int pages)
    {
        var outcome = Hostile(method);
        outcome.AssertError(FunctionCallErrorCode.MemoryLimitExceeded);
        Assert.Null(outcome.Error!.HostCode);
        Assert.Equal($"guest memory grew to {pages} pages, over the limit of 16 pages (max_memory_pages)", outcome.Error.Message);
    }

    [Fact]
    public void Memory_may_grow_up_to_the_cap() =>
        Assert.Equal("alive", _engine.Run(Wasm, "grow_to_cap").Text());

    [Fact]
    public void A_single_grow_past_the_hard_ceiling_is_refused_to_the_guest()
    {
        // 1 + 64 pages is past twice the cap, so Wasmtime refuses it (-1) and the guest decides.
        var outcome = Hostile("grow");
        outcome.AssertHostError(HostErrorCode.Panic);
        Assert.Contains("memory.grow refused", outcome.Error!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Deep_recursion_is_a_stack_overflow_trap()
    {
        var outcome = Hostile("recurse");
        outcome.AssertError(FunctionCallErrorCode.WasmTrap);
        Assert.Equal("StackOverflow", outcome.Error!.TrapCode);
    }

    [Fact]
    public void A_huge_register_read_into_a_small_memory_is_invalid_memory_access() =>
        Hostile("huge_register_read", new byte[1024 * 1024]).AssertHostError(HostErrorCode.InvalidMemoryAccess);

    [Theory]
    [InlineData("key_too_big", HostErrorCode.KeyLengthOverflow, "key length overflow (size: 2097152, max: 1048576)")]
    [InlineData("value_too_big", HostErrorCode.ValueLengthOverflow, "value length overflow (size: 20971520, max: 10485760)")]
    [InlineData("log_too_big", HostErrorCode.LogLengthOverflow, "log size overflow (size: 16385, max: 16384)")]
    [InlineData("event_too_big", HostErrorCode.EventDataSizeOverflow, "event data size overflow (size: 16385, max: 16384)")]
    [InlineData("bad_utf8_log", HostErrorCode.BadUtf8, "invalid UTF-8 string")]
    [InlineData("trap_in_host_call", HostErrorCode.InvalidMemoryAccess, "invalid memory access")]
    public void Oversized_or_malformed_host_arguments_have_their_own_error(string method, HostErrorCode code, string message)
    {
        var outcome = Hostile(method);
        outcome.AssertHostError(code);
        Assert.StartsWith(message, outcome.Error!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_panic_keeps_the_guest_message()
    {
        var outcome = Hostile("panic_message");
        outcome.AssertHostError(HostErrorCode.Panic);
        Assert.Equal("guest panicked: boom: invariant broken", outcome.Error!.Message);
    }

    [Fact]
    public void A_missing_export_is_method_not_found() =>
        Hostile("no_such_method").AssertError(FunctionCallErrorCode.MethodNotFound);

    [Fact]
    public void Non_wasm_bytes_and_wrong_import_signatures_are_rejected_and_the_engine_carries_on()
    {
        var garbage = Assert.Throws<ModuleValidationException>(() => _engine.Compile("not a wasm module at all"u8));
        Assert.Contains("not a WebAssembly module", garbage.Message, StringComparison.OrdinalIgnoreCase);

        var wrongSignature = Guest.Raw("""
            (module
              (import "env" "storage_read" (func (param i32 i32) (result i32)))
              (memory (export "memory") 1)
              (func (export "m")))
            """);
        var mismatch = Assert.Throws<ModuleValidationException>(() => _engine.Compile(wrongSignature));
        Assert.Contains("storage_read", mismatch.Message, StringComparison.Ordinal);

        Assert.Equal("alive", _engine.Run(Wasm, "echo").Text());
    }

    [Fact]
    public void A_host_call_may_reenter_the_engine_on_its_own_store()
    {
        var module = _engine.Compile(Wasm);
        var storage = new ReenteringStorage(() => _engine.Run(module, "echo", [], TestEngines.Context, new MemoryStorage()));

        var outcome = _engine.Run(module, "reenter", [], TestEngines.Context, storage);

        Assert.True(outcome.Success, outcome.Error?.ToString());
        Assert.Equal("alive", outcome.Text());
        Assert.Equal("alive", storage.Nested!.Text());
    }

    [Fact]
    public void An_xcall_to_its_own_context_is_queued_not_run_reentrantly()
    {
        var storage = Seeded();
        var outcome = storage.Commit(_engine.Run(_engine.Compile(Wasm), "xcall_self", [], TestEngines.Context, storage));

        Assert.True(outcome.Success);
        var call = Assert.Single(outcome.XCalls);
        Assert.Equal(TestEngines.Context.ContextId, call.ContextId);
        Assert.Equal("again", call.Function);
        Assert.Equal("v", Encoding.UTF8.GetString(storage.Committed["k"]));
    }

    private static MemoryStorage Seeded()
    {
        var storage = new MemoryStorage();
        storage.Committed["k"] = Original;
        return storage;
    }

    private Outcome Hostile(string method, byte[]? input = null)
    {
        var storage = Seeded();
        var before = storage.Snapshot();

        var outcome = storage.Commit(_engine.Run(_engine.Compile(Wasm), method, input ?? [], TestEngines.Context, storage));

        Assert.False(outcome.Success);
        Assert.Equal(before, storage.Snapshot());
        Assert.Equal(Original, storage.Committed["k"]);
        Assert.Equal("alive", _engine.Run(Wasm, "echo").Text());
        return outcome;
    }

    private sealed class ReenteringStorage(Func<Outcome> nested) : IRuntimeStorage
    {
        public Outcome? Nested { get; private set; }

        public byte[]? Read(ReadOnlySpan<byte> key)
        {
            Nested = nested();
            return null;
        }

        public byte[]? Write(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value) => null;

        public byte[]? Remove(ReadOnlySpan<byte> key) => null;
    }
}
