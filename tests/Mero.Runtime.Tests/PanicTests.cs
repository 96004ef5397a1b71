using Xunit;

namespace Mero.Runtime.Tests;

public sealed class PanicTests
{
    private static readonly byte[] Guests = Guest.Bytes($$"""
        (data (i32.const 256) "boom")
        (data (i32.const 272) "src/lib.rs")
        (data (i32.const 400) "{{Guest.AsString("oops ✓")}}")
        (data (i32.const 500) "{{Guest.AsString("assembly/index.ts")}}")
        (func (export "panic_with_location")
          (call $buf (i32.const 32) (i32.const 272) (i32.const 10))
          (i32.store (i32.const 48) (i32.const 7))
          (i32.store (i32.const 52) (i32.const 3))
          (call $panic (i64.const 32)))
        (func (export "panic_utf8_without_location")
          (call $buf (i32.const 0) (i32.const 256) (i32.const 4))
          (call $panic_utf8 (i64.const 0) (i64.const 0)))
        (func (export "panic_utf8_bad_location")
          (call $buf (i32.const 0) (i32.const 256) (i32.const 4))
          (call $panic_utf8 (i64.const 0) (i64.const 70000)))
        (func (export "panic_utf8_bad_message")
          (call $buf (i32.const 0) (i32.const 256) (i32.const 70000))
          (call $panic_utf8 (i64.const 0) (i64.const 0)))
        (func (export "as_abort")
          (call $abort (i32.const 404) (i32.const 504) (i32.const 12) (i32.const 5)))
        (func (export "as_abort_null_file")
          (call $abort (i32.const 404) (i32.const 0) (i32.const 1) (i32.const 1)))
        (func (export "as_abort_bad_pointer")
          (call $abort (i32.const 70000) (i32.const 504) (i32.const 1) (i32.const 1)))
        (func (export "as_abort_tiny_pointer")
          (call $abort (i32.const 2) (i32.const 504) (i32.const 1) (i32.const 1)))
        (func (export "as_abort_huge_length")
          (i32.store (i32.const 65528) (i32.const -1))
          (call $abort (i32.const 65532) (i32.const 504) (i32.const 1) (i32.const 1)))
        """);

    private readonly WasmEngine _engine = TestEngines.Default;

    [Fact]
    public void Panic_reports_explicit_panic_with_its_location()
    {
        var outcome = _engine.Run(Guests, "panic_with_location");

        outcome.AssertHostError(HostErrorCode.Panic);
        Assert.Equal("guest panicked: explicit panic at src/lib.rs:7:3", outcome.Error!.Message);
    }

    [Fact]
    public void Panic_utf8_keeps_the_message_when_there_is_no_location()
    {
        var outcome = _engine.Run(Guests, "panic_utf8_without_location");

        outcome.AssertHostError(HostErrorCode.Panic);
        Assert.Equal("guest panicked: boom", outcome.Error!.Message);
    }

    [Fact]
    public void Panic_utf8_keeps_the_message_when_the_location_is_unreadable()
    {
        var outcome = _engine.Run(Guests, "panic_utf8_bad_location");

        outcome.AssertHostError(HostErrorCode.Panic);
        Assert.Equal("guest panicked: boom", outcome.Error!.Message);
    }

    [Fact]
    public void Panic_utf8_with_an_unreadable_message_is_invalid_memory_access()
    {
        _engine.Run(Guests, "panic_utf8_bad_message").AssertHostError(HostErrorCode.InvalidMemoryAccess);
    }

    [Fact]
    public void AssemblyScript_abort_becomes_a_panic_with_message_and_location()
    {
        var outcome = _engine.Run(Guests, "as_abort");

        outcome.AssertHostError(HostErrorCode.Panic);
        Assert.Equal("guest panicked: abort: oops ✓ at assembly/index.ts:12:5", outcome.Error!.Message);
    }

    [Fact]
    public void AssemblyScript_abort_with_a_null_file_still_reports()
    {
        var outcome = _engine.Run(Guests, "as_abort_null_file");

        outcome.AssertHostError(HostErrorCode.Panic);
        Assert.Contains("abort: oops ✓ at null:1:1", outcome.Error!.Message);
    }

    [Theory]
    [InlineData("as_abort_bad_pointer")]
    [InlineData("as_abort_tiny_pointer")]
    [InlineData("as_abort_huge_length")]
    public void AssemblyScript_abort_with_bad_pointers_is_invalid_memory_access(string method)
    {
        _engine.Run(Guests, method).AssertHostError(HostErrorCode.InvalidMemoryAccess);
    }
}
