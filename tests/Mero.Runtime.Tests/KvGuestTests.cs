using System.Text;
using Xunit;

namespace Mero.Runtime.Tests;

public sealed class KvGuestTests
{
    // Key "greeting" at 256; static strings after it. See Guest for the helpers.
    private static readonly byte[] Kv = Guest.Bytes("""
        (data (i32.const 256) "greeting")
        (data (i32.const 272) "missing")
        (data (i32.const 288) "hello log")
        (data (i32.const 304) "Created")
        (data (i32.const 320) "payload")
        (data (i32.const 336) "key not found")
        (data (i32.const 352) "src/lib.rs")
        (func (export "put") (local $len i32)
          (call $input (i64.const 1))
          (local.set $len (call $reg (i64.const 1) (i32.const 4096)))
          (call $buf (i32.const 0) (i32.const 256) (i32.const 8))
          (call $buf (i32.const 16) (i32.const 4096) (local.get $len))
          (if (i32.eq (call $storage_write (i64.const 0) (i64.const 16) (i64.const 2)) (i32.const 1))
            (then (call $ok (i32.const 8192) (call $reg (i64.const 2) (i32.const 8192))))))
        (func (export "get")
          (call $buf (i32.const 0) (i32.const 256) (i32.const 8))
          (if (i32.eq (call $storage_read (i64.const 0) (i64.const 3)) (i32.const 1))
            (then (call $ok (i32.const 4096) (call $reg (i64.const 3) (i32.const 4096))))
            (else (call $err (i32.const 272) (i32.const 7)))))
        (func (export "remove")
          (call $buf (i32.const 0) (i32.const 256) (i32.const 8))
          (if (i32.eq (call $storage_remove (i64.const 0) (i64.const 4)) (i32.const 1))
            (then (call $ok (i32.const 4096) (call $reg (i64.const 4) (i32.const 4096))))))
        (func (export "echo")
          (call $input (i64.const 1))
          (call $ok (i32.const 4096) (call $reg (i64.const 1) (i32.const 4096))))
        (func (export "log_and_emit")
          (call $buf (i32.const 0) (i32.const 288) (i32.const 9))
          (call $log_utf8 (i64.const 0))
          (call $buf (i32.const 32) (i32.const 304) (i32.const 7))
          (call $buf (i32.const 48) (i32.const 320) (i32.const 7))
          (call $emit (i64.const 32)))
        (func (export "ids")
          (call $context_id (i64.const 5))
          (call $executor_id (i64.const 6))
          (drop (call $reg (i64.const 5) (i32.const 4096)))
          (drop (call $reg (i64.const 6) (i32.const 4128)))
          (call $ok (i32.const 4096) (i32.const 64)))
        (func (export "return_twice")
          (call $ok (i32.const 272) (i32.const 7))
          (call $ok (i32.const 320) (i32.const 7)))
        (func (export "put_then_panic")
          (call $buf (i32.const 0) (i32.const 256) (i32.const 8))
          (call $buf (i32.const 16) (i32.const 320) (i32.const 7))
          (drop (call $storage_write (i64.const 0) (i64.const 16) (i64.const 2)))
          (call $buf (i32.const 0) (i32.const 288) (i32.const 9))
          (call $log_utf8 (i64.const 0))
          (call $buf (i32.const 32) (i32.const 336) (i32.const 13))
          (call $buf (i32.const 48) (i32.const 352) (i32.const 10))
          (i32.store (i32.const 64) (i32.const 7))
          (i32.store (i32.const 68) (i32.const 3))
          (call $panic_utf8 (i64.const 32) (i64.const 48)))
        """);

    private readonly WasmEngine _engine = TestEngines.Default;

    [Fact]
    public void Put_then_get_round_trips_through_storage()
    {
        var storage = new RecordingStorage();

        var put = _engine.Run(Kv, "put", "world", storage);
        var get = _engine.Run(Kv, "get", storage: storage);

        Assert.True(put.Success);
        Assert.Null(put.ReturnValue);
        Assert.Equal("world", Encoding.UTF8.GetString(storage.Get("greeting")!));
        Assert.True(get.Success, get.Error?.ToString());
        Assert.Equal("world", get.Text());
        Assert.Equal(["write greeting", "read greeting"], storage.Calls);
    }

    [Fact]
    public void Overwrite_returns_the_evicted_value_and_remove_returns_the_old_one()
    {
        var storage = new RecordingStorage();
        _engine.Run(Kv, "put", "first", storage);

        var overwrite = _engine.Run(Kv, "put", "second", storage);
        var remove = _engine.Run(Kv, "remove", storage: storage);
        var removeAgain = _engine.Run(Kv, "remove", storage: storage);

        Assert.Equal("first", overwrite.Text());
        Assert.Equal("second", remove.Text());
        Assert.True(removeAgain.Success);
        Assert.Null(removeAgain.ReturnValue);
        Assert.Equal(0, storage.Count);
    }

    [Fact]
    public void Value_return_err_becomes_execution_error_with_the_bytes()
    {
        var outcome = _engine.Run(Kv, "get");

        outcome.AssertError(FunctionCallErrorCode.ExecutionError);
        Assert.Equal("missing", Encoding.UTF8.GetString(outcome.Error!.Data!));
        Assert.Null(outcome.ReturnValue);
    }

    [Fact]
    public void Input_is_echoed_including_empty_input()
    {
        Assert.Equal("héllo wörld", _engine.Run(Kv, "echo", "héllo wörld").Text());

        var empty = _engine.Run(Kv, "echo");
        Assert.True(empty.Success);
        Assert.Empty(empty.ReturnValue!);
    }

    [Fact]
    public void The_last_value_return_wins()
    {
        Assert.Equal("payload", _engine.Run(Kv, "return_twice").Text());
    }

    [Fact]
    public void Logs_and_events_are_returned()
    {
        var outcome = _engine.Run(Kv, "log_and_emit");

        Assert.True(outcome.Success);
        Assert.Equal(["hello log"], outcome.Logs);
        var e = Assert.Single(outcome.Events);
        Assert.Equal("Created", e.Kind);
        Assert.Equal("payload", Encoding.UTF8.GetString(e.Data));
        Assert.True(outcome.FuelUsed > 0);
    }

    [Fact]
    public void Context_and_executor_ids_are_placed_in_registers()
    {
        var outcome = _engine.Run(Kv, "ids");

        Assert.Equal([.. TestEngines.Filled(0xC1), .. TestEngines.Filled(0xE1)], outcome.ReturnValue!);
    }

    [Fact]
    public void A_failed_call_leaves_its_writes_in_the_overlay_and_reports_the_panic()
    {
        var storage = new RecordingStorage();

        var outcome = _engine.Run(Kv, "put_then_panic", storage: storage);

        outcome.AssertHostError(HostErrorCode.Panic);
        Assert.Equal("guest panicked: key not found at src/lib.rs:7:3", outcome.Error!.Message);
        Assert.Contains("panicked: key not found", outcome.Error.ToString());
        Assert.Null(outcome.ReturnValue);
        Assert.Equal(["hello log"], outcome.Logs);
        // The runtime never rolls back: the caller sees the write and discards the overlay.
        Assert.Equal(["write greeting"], storage.Calls);
        Assert.Equal("payload", Encoding.UTF8.GetString(storage.Get("greeting")!));
    }

    [Fact]
    public void Runs_on_separate_stores_are_independent_and_thread_safe()
    {
        var module = _engine.Compile(Kv);
        var results = new string[16];

        Parallel.For(0, results.Length, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i =>
        {
            var storage = new RecordingStorage();
            var value = Encoding.UTF8.GetBytes($"value-{i}");
            Assert.True(_engine.Run(module, "put", value, TestEngines.Context, storage).Success);
            results[i] = _engine.Run(module, "get", [], TestEngines.Context, storage).Text();
        });

        Assert.Equal(Enumerable.Range(0, 16).Select(i => $"value-{i}"), results);
    }

    [Fact]
    public void Storage_exceptions_are_host_failures_and_escape_run()
    {
        Assert.Throws<IOException>(() => _engine.Run(Kv, "get", storage: new ThrowingStorage()));
    }

    private sealed class ThrowingStorage : IRuntimeStorage
    {
        public byte[]? Read(ReadOnlySpan<byte> key) => throw new IOException("disk on fire");

        public byte[]? Write(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value) => throw new IOException("disk on fire");

        public byte[]? Remove(ReadOnlySpan<byte> key) => throw new IOException("disk on fire");
    }
}
