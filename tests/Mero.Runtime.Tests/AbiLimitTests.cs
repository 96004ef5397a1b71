using Xunit;

namespace Mero.Runtime.Tests;

/// <summary>The limits added with the full ABI (xcall, context mutations, commit artifact, blobs) each trap with their own code.</summary>
public sealed class AbiLimitTests
{
    private static readonly byte[] Wasm = Guest.Bytes("""
        (data (i32.const 320) "\aa\aa\aa\aa\aa\aa\aa\aa\aa\aa\aa\aa\aa\aa\aa\aa\aa\aa\aa\aa\aa\aa\aa\aa\aa\aa\aa\aa\aa\aa\aa\aa")
        (func $xcall_with (param $fnLen i32) (param $paramsLen i32)
          (call $buf (i32.const 48) (i32.const 320) (i32.const 32))
          (call $buf (i32.const 64) (i32.const 4096) (local.get $fnLen))
          (call $buf (i32.const 80) (i32.const 4096) (local.get $paramsLen))
          (call $xcall (i64.const 48)))
        (func (export "xcall_function_too_long") (call $xcall_with (i32.const 101) (i32.const 0)))
        (func (export "xcall_params_too_big") (call $xcall_with (i32.const 1) (i32.const 16385)))
        (func (export "xcall_bad_context_id")
          (call $buf (i32.const 48) (i32.const 320) (i32.const 16))
          (call $xcall (i64.const 48)))
        (func (export "too_many_mutations") (local $i i32)
          (call $buf (i32.const 0) (i32.const 320) (i32.const 32))
          (loop $again
            (call $context_add_member (i64.const 0))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br_if $again (i32.le_u (local.get $i) (i32.const 16)))))
        (func (export "artifact_too_big")
          (call $buf (i32.const 0) (i32.const 320) (i32.const 32))
          (call $buf (i32.const 16) (i32.const 0) (i32.const 16777217))
          (call $commit (i64.const 0) (i64.const 16)))
        (func (export "blob_chunk_too_big")
          (call $buf (i32.const 0) (i32.const 0) (i32.const 10485761))
          (drop (call $blob_write (call $blob_create) (i64.const 0))))
        (func (export "too_many_blob_handles") (local $i i32)
          (loop $again
            (drop (call $blob_create))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br_if $again (i32.le_u (local.get $i) (i32.const 100)))))
        (func (export "read_on_write_handle")
          (call $buf (i32.const 0) (i32.const 4096) (i32.const 4))
          (drop (call $blob_read (call $blob_create) (i64.const 0))))
        (func (export "verify_bad_signature_length")
          (call $buf (i32.const 0) (i32.const 4096) (i32.const 63))
          (call $buf (i32.const 16) (i32.const 320) (i32.const 32))
          (call $buf (i32.const 32) (i32.const 0) (i32.const 0))
          (drop (call $ed25519_verify (i64.const 0) (i64.const 16) (i64.const 32))))
        """);

    [Theory]
    [InlineData("xcall_function_too_long", HostErrorCode.XCallFunctionSizeOverflow, "xcall function name overflow (size: 101, max: 100)")]
    [InlineData("xcall_params_too_big", HostErrorCode.XCallParamsSizeOverflow, "xcall params size overflow (size: 16385, max: 16384)")]
    [InlineData("xcall_bad_context_id", HostErrorCode.InvalidIdLength, "xcall context id must be exactly 32 bytes (received 16)")]
    [InlineData("too_many_mutations", HostErrorCode.ContextMutationsOverflow, "context mutations overflow (max: 16)")]
    [InlineData("artifact_too_big", HostErrorCode.ArtifactTooLarge, "artifact too large (size: 16777217, max: 16777216)")]
    [InlineData("blob_chunk_too_big", HostErrorCode.BlobChunkTooLarge, "blob chunk too large (size: 10485761, max: 10485760)")]
    [InlineData("too_many_blob_handles", HostErrorCode.BlobHandlesOverflow, "too many open blob handles (max: 100)")]
    [InlineData("read_on_write_handle", HostErrorCode.InvalidBlobHandle, "blob handle 1 is open for writing, not reading")]
    [InlineData("verify_bad_signature_length", HostErrorCode.InvalidIdLength, "signature must be exactly 64 bytes (received 63)")]
    public void Each_limit_has_its_own_code_and_message(string method, HostErrorCode code, string message)
    {
        var engine = TestEngines.Default;
        var outcome = engine.Run(engine.Compile(Wasm), method, [], TestEngines.Context, new RecordingStorage(), new RuntimeServices { Blobs = new InMemoryBlobStore() });

        outcome.AssertHostError(code);
        Assert.Equal(message, outcome.Error!.Message);
        Assert.Empty(outcome.XCalls);
    }

    [Fact]
    public void The_total_blob_bytes_per_execution_are_capped()
    {
        using var engine = new WasmEngine(new VmLimits { MaxBlobBytes = 8 });
        var wasm = Guest.Bytes("""
            (func (export "write_twice") (local $fd i64)
              (local.set $fd (call $blob_create))
              (call $buf (i32.const 0) (i32.const 4096) (i32.const 5))
              (drop (call $blob_write (local.get $fd) (i64.const 0)))
              (drop (call $blob_write (local.get $fd) (i64.const 0))))
            """);
        var outcome = engine.Run(engine.Compile(wasm), "write_twice", [], TestEngines.Context, new RecordingStorage(), new RuntimeServices { Blobs = new InMemoryBlobStore() });
        outcome.AssertHostError(HostErrorCode.BlobBytesExceeded);
    }
}
