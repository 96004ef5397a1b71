using Xunit;

namespace Mero.Runtime.Tests;

public sealed class MethodResolutionTests
{
    private static readonly byte[] Guests = Guest.Bytes("""
        (func (export "noop"))
        (func (export "takes_arg") (param i32))
        (func (export "returns_value") (result i32) (i32.const 1))
        """);

    private readonly WasmEngine _engine = TestEngines.Default;

    [Fact]
    public void An_unknown_method_is_method_not_found()
    {
        var outcome = _engine.Run(Guests, "nope");

        outcome.AssertError(FunctionCallErrorCode.MethodNotFound);
        Assert.Equal("method \"nope\" not found", outcome.Error!.Message);
    }

    [Fact]
    public void A_non_function_export_is_method_not_found()
    {
        _engine.Run(Guests, "memory").AssertError(FunctionCallErrorCode.MethodNotFound);
    }

    [Theory]
    [InlineData("takes_arg")]
    [InlineData("returns_value")]
    public void A_method_that_is_not_unit_to_unit_has_an_invalid_signature(string method)
    {
        _engine.Run(Guests, method).AssertError(FunctionCallErrorCode.InvalidSignature);
    }

    [Theory]
    [InlineData("")]
    [InlineData("a-b")]
    [InlineData("héllo")]
    [InlineData("with space")]
    public void Bad_method_names_are_rejected(string method)
    {
        _engine.Run(Guests, method).AssertError(FunctionCallErrorCode.InvalidMethodName);
    }

    [Fact]
    public void Method_names_are_limited_to_256_bytes()
    {
        _engine.Run(Guests, new string('a', 257)).AssertError(FunctionCallErrorCode.InvalidMethodName);
        _engine.Run(Guests, new string('a', 256)).AssertError(FunctionCallErrorCode.MethodNotFound);
    }

    [Fact]
    public void A_valid_unit_method_succeeds_with_no_return_value()
    {
        var outcome = _engine.Run(Guests, "noop");

        Assert.True(outcome.Success);
        Assert.Null(outcome.ReturnValue);
        Assert.Empty(outcome.Logs);
    }
}
