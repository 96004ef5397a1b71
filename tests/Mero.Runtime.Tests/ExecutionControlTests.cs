using System.Diagnostics;
using Xunit;

namespace Mero.Runtime.Tests;

/// <summary>Runaway guests are stopped by fuel, the deadline or cancellation, and the engine carries on.</summary>
public sealed class ExecutionControlTests
{
    private static readonly byte[] Guests = Guest.Bytes("""
        (func (export "spin") (loop $forever (br $forever)))
        (func (export "echo")
          (call $input (i64.const 1))
          (call $ok (i32.const 4096) (call $reg (i64.const 1) (i32.const 4096))))
        (func $recurse (export "recurse") (call $recurse))
        (func (export "unreachable") unreachable)
        (func (export "divide_by_zero") (drop (i32.div_u (i32.const 1) (i32.const 0))))
        """);

    [Fact]
    public void An_infinite_loop_hits_the_deadline_and_the_engine_still_works()
    {
        using var engine = new WasmEngine(new VmLimits { ExecutionDeadline = TimeSpan.FromMilliseconds(200), MaxFuel = long.MaxValue / 4 });
        var sw = Stopwatch.StartNew();

        var outcome = engine.Run(Guests, "spin");

        outcome.AssertError(FunctionCallErrorCode.DeadlineExceeded);
        Assert.InRange(sw.Elapsed, TimeSpan.FromMilliseconds(150), TimeSpan.FromSeconds(3));
        Assert.Equal("next", engine.Run(Guests, "echo", "next").Text());
    }

    [Fact]
    public void An_infinite_loop_exhausts_its_fuel()
    {
        using var engine = new WasmEngine(new VmLimits { MaxFuel = 5_000_000 });

        var outcome = engine.Run(Guests, "spin");

        outcome.AssertError(FunctionCallErrorCode.GasExhausted);
        Assert.Contains("5000000", outcome.Error!.Message);
        Assert.Equal("ok", engine.Run(Guests, "echo", "ok").Text());
    }

    [Fact]
    public void With_default_limits_an_infinite_loop_stops_well_within_the_deadline()
    {
        var sw = Stopwatch.StartNew();

        var outcome = TestEngines.Default.Run(Guests, "spin");

        Assert.Contains(outcome.Error!.Code, new[] { FunctionCallErrorCode.GasExhausted, FunctionCallErrorCode.DeadlineExceeded });
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(11));
    }

    [Fact]
    public void Cancellation_stops_a_running_guest()
    {
        using var engine = new WasmEngine(new VmLimits { MaxFuel = long.MaxValue / 4 });
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        var sw = Stopwatch.StartNew();

        var outcome = engine.Run(Guests, "spin", ct: cts.Token);

        outcome.AssertError(FunctionCallErrorCode.Cancelled);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(3));
    }

    [Fact]
    public void An_already_cancelled_token_does_not_start_the_guest()
    {
        var outcome = TestEngines.Default.Run(Guests, "echo", "x", ct: new CancellationToken(canceled: true));

        outcome.AssertError(FunctionCallErrorCode.Cancelled);
    }

    [Theory]
    [InlineData("recurse", "StackOverflow")]
    [InlineData("unreachable", "Unreachable")]
    [InlineData("divide_by_zero", "IntegerDivisionByZero")]
    public void Wasm_traps_report_their_trap_code(string method, string trapCode)
    {
        var outcome = TestEngines.Default.Run(Guests, method);

        outcome.AssertError(FunctionCallErrorCode.WasmTrap);
        Assert.Equal(trapCode, outcome.Error!.TrapCode);
        Assert.StartsWith("wasm trap:", outcome.Error.Message);
    }

    [Fact]
    public void Register_merge_runs_first_and_its_failure_is_not_fatal()
    {
        var wasm = Guest.Bytes("""
            (data (i32.const 256) "merge")
            (data (i32.const 272) "main")
            (func (export "__calimero_register_merge")
              (call $buf (i32.const 0) (i32.const 256) (i32.const 5))
              (call $log_utf8 (i64.const 0))
              unreachable)
            (func (export "main")
              (call $buf (i32.const 0) (i32.const 272) (i32.const 4))
              (call $log_utf8 (i64.const 0)))
            """);

        var outcome = TestEngines.Default.Run(wasm, "main");

        Assert.True(outcome.Success, outcome.Error?.ToString());
        Assert.Equal(["merge", "main"], outcome.Logs);
    }

    [Fact]
    public void A_start_function_may_call_the_host_and_its_traps_are_reported()
    {
        const string Logging = """
            (data (i32.const 256) "start")
            (func $init
              (call $buf (i32.const 0) (i32.const 256) (i32.const 5))
              (call $log_utf8 (i64.const 0)))
            (start $init)
            (func (export "main"))
            """;
        const string Trapping = """
            (func $init unreachable)
            (start $init)
            (func (export "main"))
            """;

        var logged = TestEngines.Default.Run(Guest.Bytes(Logging), "main");
        var trapped = TestEngines.Default.Run(Guest.Bytes(Trapping), "main");

        Assert.True(logged.Success, logged.Error?.ToString());
        Assert.Equal(["start"], logged.Logs);
        trapped.AssertError(FunctionCallErrorCode.WasmTrap);
        Assert.Equal("Unreachable", trapped.Error!.TrapCode);
    }
}
