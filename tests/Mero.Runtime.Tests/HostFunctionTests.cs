using System.Buffers.Binary;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using NSec.Cryptography;
using Xunit;

namespace Mero.Runtime.Tests;

/// <summary>The host functions beyond storage: private storage, events with handlers, commit, xcall, context mutations, blobs, utilities, fetch.</summary>
public sealed class HostFunctionTests
{
    private static readonly byte[] Wasm = Guest.Bytes("""
        (data (i32.const 256) "pkey")
        (data (i32.const 264) "pval")
        (data (i32.const 272) "Kind")
        (data (i32.const 280) "on_event")
        (data (i32.const 320) "\aa\aa\aa\aa\aa\aa\aa\aa\aa\aa\aa\aa\aa\aa\aa\aa\aa\aa\aa\aa\aa\aa\aa\aa\aa\aa\aa\aa\aa\aa\aa\aa")
        (data (i32.const 352) "callee_fn")
        (data (i32.const 368) "{}")
        (data (i32.const 384) "blob-content")
        (data (i32.const 400) "near")
        (data (i32.const 420) "GET")
        (func $byte (param $v i32) (i32.store8 (i32.const 4000) (local.get $v)) (call $ok (i32.const 4000) (i32.const 1)))
        (func $input_at (param $dst i32) (result i32) (call $input (i64.const 9)) (call $reg (i64.const 9) (local.get $dst)))
        (func (export "private_write")
          (call $buf (i32.const 0) (i32.const 256) (i32.const 4))
          (call $buf (i32.const 16) (i32.const 264) (i32.const 4))
          (call $byte (call $private_storage_write (i64.const 0) (i64.const 16))))
        (func (export "private_read")
          (call $buf (i32.const 0) (i32.const 256) (i32.const 4))
          (if (call $private_storage_read (i64.const 0) (i64.const 1))
            (then (call $ok (i32.const 4096) (call $reg (i64.const 1) (i32.const 4096))))))
        (func (export "private_remove")
          (call $buf (i32.const 0) (i32.const 256) (i32.const 4))
          (call $byte (call $private_storage_remove (i64.const 0) (i64.const 1))))
        (func (export "emit_handler")
          (call $buf (i32.const 0) (i32.const 272) (i32.const 4))
          (call $buf (i32.const 16) (i32.const 264) (i32.const 4))
          (call $buf (i32.const 32) (i32.const 280) (i32.const 8))
          (call $emit_with_handler (i64.const 0) (i64.const 32))
          (call $emit_with_handler (i64.const 0) (i64.const 0)))
        (func (export "handler_too_long")
          (call $buf (i32.const 0) (i32.const 272) (i32.const 4))
          (call $buf (i32.const 16) (i32.const 264) (i32.const 4))
          (call $buf (i32.const 32) (i32.const 4096) (i32.const 257))
          (call $emit_with_handler (i64.const 0) (i64.const 32)))
        (func $commit_once (param $rootLen i32)
          (call $buf (i32.const 0) (i32.const 320) (local.get $rootLen))
          (call $buf (i32.const 16) (i32.const 384) (i32.const 12))
          (call $commit (i64.const 0) (i64.const 16)))
        (func (export "commit") (call $commit_once (i32.const 32)))
        (func (export "commit_twice") (call $commit_once (i32.const 32)) (call $commit_once (i32.const 32)))
        (func (export "commit_short_root") (call $commit_once (i32.const 31)))
        (func $xcall_n (param $n i32) (local $i i32)
          (call $buf (i32.const 48) (i32.const 320) (i32.const 32))
          (call $buf (i32.const 64) (i32.const 352) (i32.const 9))
          (call $buf (i32.const 80) (i32.const 368) (i32.const 2))
          (block $done (loop $again
            (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
            (call $xcall (i64.const 48))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $again))))
        (func (export "xcall_one") (call $xcall_n (i32.const 1)))
        (func (export "xcall_nine") (call $xcall_n (i32.const 9)))
        (func (export "origin")
          (if (call $xcall_origin (i64.const 1))
            (then (call $ok (i32.const 4096) (call $reg (i64.const 1) (i32.const 4096))))))
        (func (export "mutations")
          (call $buf (i32.const 0) (i32.const 320) (i32.const 32))
          (call $context_add_member (i64.const 0))
          (call $context_remove_member (i64.const 0))
          (call $context_delete (i64.const 0))
          (call $buf (i32.const 16) (i32.const 400) (i32.const 4))
          (call $buf (i32.const 48) (i32.const 368) (i32.const 2))
          (call $context_create (i64.const 16) (i64.const 0) (i64.const 48) (i64.const 0)))
        (func (export "add_member_short_key")
          (call $buf (i32.const 0) (i32.const 320) (i32.const 31))
          (call $context_add_member (i64.const 0)))
        (func (export "is_member")
          (call $buf (i32.const 0) (i32.const 320) (i32.const 32))
          (call $byte (call $context_is_member (i64.const 0))))
        (func (export "members")
          (call $context_members (i64.const 1))
          (call $ok (i32.const 4096) (call $reg (i64.const 1) (i32.const 4096))))
        (func (export "blob_roundtrip") (local $fd i64) (local $n1 i32) (local $n2 i32)
          (local.set $fd (call $blob_create))
          (call $buf (i32.const 0) (i32.const 384) (i32.const 12))
          (drop (call $blob_write (local.get $fd) (i64.const 0)))
          (call $buf (i32.const 16) (i32.const 4200) (i32.const 32))
          (drop (call $blob_close (local.get $fd) (i64.const 16)))
          (local.set $fd (call $blob_open (i64.const 16)))
          (call $buf (i32.const 32) (i32.const 4232) (i32.const 64))
          (local.set $n1 (i32.wrap_i64 (call $blob_read (local.get $fd) (i64.const 32))))
          (call $buf (i32.const 48) (i32.const 4400) (i32.const 64))
          (local.set $n2 (i32.wrap_i64 (call $blob_read (local.get $fd) (i64.const 48))))
          (i32.store8 (i32.add (i32.const 4232) (local.get $n1)) (local.get $n2))
          (call $ok (i32.const 4200) (i32.add (i32.const 33) (local.get $n1))))
        (func (export "announce")
          (call $buf (i32.const 0) (i32.const 320) (i32.const 32))
          (call $byte (call $blob_announce_to_context (i64.const 0) (i64.const 0))))
        (func (export "blob_bad_fd")
          (call $buf (i32.const 0) (i32.const 384) (i32.const 12))
          (drop (call $blob_write (i64.const 77) (i64.const 0))))
        (func (export "blob_create") (drop (call $blob_create)))
        (func (export "random")
          (call $buf (i32.const 0) (i32.const 4096) (i32.const 16))
          (call $random_bytes (i64.const 0))
          (call $ok (i32.const 4096) (i32.const 16)))
        (func (export "time")
          (call $buf (i32.const 0) (i32.const 4096) (i32.const 8))
          (call $time_now (i64.const 0))
          (call $ok (i32.const 4096) (i32.const 8)))
        (func (export "time_bad_buffer")
          (call $buf (i32.const 0) (i32.const 4096) (i32.const 4))
          (call $time_now (i64.const 0)))
        (func (export "verify") (local $len i32)
          (local.set $len (call $input_at (i32.const 4096)))
          (call $buf (i32.const 0) (i32.const 4096) (i32.const 64))
          (call $buf (i32.const 16) (i32.const 4160) (i32.const 32))
          (call $buf (i32.const 32) (i32.const 4192) (i32.sub (local.get $len) (i32.const 96)))
          (call $byte (call $ed25519_verify (i64.const 0) (i64.const 16) (i64.const 32))))
        (func (export "fetch") (local $len i32) (local $status i32)
          (local.set $len (call $input_at (i32.const 4096)))
          (call $buf (i32.const 0) (i32.const 4096) (local.get $len))
          (call $buf (i32.const 16) (i32.const 420) (i32.const 3))
          (call $buf (i32.const 32) (i32.const 0) (i32.const 0))
          (call $buf (i32.const 48) (i32.const 0) (i32.const 0))
          (local.set $status (call $fetch (i64.const 0) (i64.const 16) (i64.const 32) (i64.const 48) (i64.const 1)))
          (i32.store8 (i32.const 8000) (local.get $status))
          (call $ok (i32.const 8000) (i32.add (i32.const 1) (call $reg (i64.const 1) (i32.const 8001)))))
        """);

    private static readonly byte[] TargetId = TestEngines.Filled(0xAA);

    private static Outcome Run(string method, RuntimeServices services, byte[]? input = null, IRuntimeStorage? storage = null)
    {
        var engine = TestEngines.Default;
        return engine.Run(engine.Compile(Wasm), method, input ?? [], TestEngines.Context, storage ?? new RecordingStorage(), services);
    }

    [Fact]
    public void Private_storage_persists_across_calls_and_never_touches_synchronized_storage()
    {
        var privateStore = new RecordingStorage();
        var shared = new RecordingStorage();
        var services = new RuntimeServices { PrivateStorage = privateStore };

        Assert.Equal([1], Run("private_write", services, storage: shared).ReturnValue);
        Assert.Equal("pval", Run("private_read", services, storage: shared).Text());
        Assert.Equal(Encoding.UTF8.GetBytes("pval"), privateStore.Get("pkey"));
        Assert.Empty(shared.Calls);
        Assert.Equal([1], Run("private_remove", services).ReturnValue);
        Assert.Null(Run("private_read", services).ReturnValue);
    }

    [Fact]
    public void Without_a_private_store_writes_return_zero_and_reads_find_nothing()
    {
        Assert.Equal([0], Run("private_write", RuntimeServices.None).ReturnValue);
        Assert.Null(Run("private_read", RuntimeServices.None).ReturnValue);
    }

    [Fact]
    public void Emit_with_handler_records_the_handler_and_a_zero_pointer_means_none()
    {
        var outcome = Run("emit_handler", RuntimeServices.None);
        Assert.True(outcome.Success);
        Assert.Equal(2, outcome.Events.Count);
        Assert.Equal(("Kind", "pval", "on_event"), (outcome.Events[0].Kind, Encoding.UTF8.GetString(outcome.Events[0].Data), outcome.Events[0].Handler));
        Assert.Null(outcome.Events[1].Handler);
        Run("handler_too_long", RuntimeServices.None).AssertHostError(HostErrorCode.HandlerNameOverflow);
    }

    [Fact]
    public void Commit_records_root_and_artifact_once()
    {
        var outcome = Run("commit", RuntimeServices.None);
        Assert.Equal(TargetId, outcome.Commit!.RootHash);
        Assert.Equal("blob-content", Encoding.UTF8.GetString(outcome.Commit.Artifact));
        Run("commit_twice", RuntimeServices.None).AssertHostError(HostErrorCode.AlreadyCommitted);
        Run("commit_short_root", RuntimeServices.None).AssertHostError(HostErrorCode.InvalidIdLength);
    }

    [Fact]
    public void Xcalls_are_queued_on_the_outcome_and_capped_at_eight()
    {
        var outcome = Run("xcall_one", RuntimeServices.None);
        var call = Assert.Single(outcome.XCalls);
        Assert.Equal(TargetId, call.ContextId);
        Assert.Equal("callee_fn", call.Function);
        Assert.Equal("{}", Encoding.UTF8.GetString(call.Params));
        var overflow = Run("xcall_nine", RuntimeServices.None);
        overflow.AssertHostError(HostErrorCode.XCallsOverflow);
        Assert.Contains("max: 8", overflow.Error!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Xcall_origin_is_reported_only_for_dispatched_calls()
    {
        Assert.Null(Run("origin", RuntimeServices.None).ReturnValue);
        var origin = TestEngines.Filled(0x0B);
        Assert.Equal(origin, Run("origin", new RuntimeServices { XCallOrigin = origin }).ReturnValue);
    }

    [Fact]
    public void Context_mutations_are_queued_in_order()
    {
        var outcome = Run("mutations", RuntimeServices.None);
        Assert.True(outcome.Success, outcome.Error?.ToString());
        Assert.Collection(
            outcome.ContextMutations,
            m => Assert.Equal(TargetId, Assert.IsType<ContextMutation.AddMember>(m).PublicKey),
            m => Assert.Equal(TargetId, Assert.IsType<ContextMutation.RemoveMember>(m).PublicKey),
            m => Assert.Equal(TargetId, Assert.IsType<ContextMutation.DeleteContext>(m).ContextId),
            m =>
            {
                var create = Assert.IsType<ContextMutation.CreateContext>(m);
                Assert.Equal("near", create.Protocol);
                Assert.Equal("{}", Encoding.UTF8.GetString(create.InitArgs));
                Assert.Null(create.Alias);
            });
        Run("add_member_short_key", RuntimeServices.None).AssertHostError(HostErrorCode.InvalidIdLength);
    }

    [Fact]
    public void Membership_queries_use_the_node_membership_service()
    {
        Assert.Equal([0], Run("is_member", RuntimeServices.None).ReturnValue);
        var membership = new FixedMembership([TargetId, TestEngines.Filled(0x01)]);
        Assert.Equal([1], Run("is_member", new RuntimeServices { Membership = membership }).ReturnValue);
        var members = Run("members", new RuntimeServices { Membership = membership }).ReturnValue!;
        Assert.Equal(4 + 64, members.Length);
        Assert.Equal(2u, BinaryPrimitives.ReadUInt32LittleEndian(members));
        Assert.Equal(TargetId, members[4..36]);
    }

    [Fact]
    public void Blobs_round_trip_through_the_store_under_their_sha256()
    {
        var blobs = new InMemoryBlobStore();
        var result = Run("blob_roundtrip", new RuntimeServices { Blobs = blobs }).ReturnValue!;
        var expectedId = SHA256.HashData(SHA256.HashData("blob-content"u8));
        Assert.Equal(expectedId, result[..32]);
        Assert.Equal("blob-content", Encoding.UTF8.GetString(result[32..44]));
        Assert.Equal(0, result[44]);
        Assert.Equal("blob-content"u8.ToArray(), blobs.Get(expectedId));
    }

    [Fact]
    public void Blob_announcements_are_recorded_only_for_local_blobs()
    {
        var blobs = new InMemoryBlobStore();
        var missing = Run("announce", new RuntimeServices { Blobs = blobs });
        Assert.Equal([0], missing.ReturnValue);
        Assert.Empty(missing.BlobAnnouncements);

        blobs.Put(TargetId, [1, 2, 3]);
        var announced = Run("announce", new RuntimeServices { Blobs = blobs });
        Assert.Equal([1], announced.ReturnValue);
        var announcement = Assert.Single(announced.BlobAnnouncements);
        Assert.Equal(TargetId, announcement.BlobId);
        Assert.Equal(TargetId, announcement.ContextId);
    }

    [Fact]
    public void Blob_misuse_has_its_own_errors()
    {
        Run("blob_create", RuntimeServices.None).AssertHostError(HostErrorCode.BlobsNotSupported);
        Run("blob_bad_fd", new RuntimeServices { Blobs = new InMemoryBlobStore() }).AssertHostError(HostErrorCode.InvalidBlobHandle);
    }

    [Fact]
    public void Random_bytes_come_from_the_per_call_source()
    {
        var a = Run("random", new RuntimeServices { Random = new Random(7) }).ReturnValue;
        var b = Run("random", new RuntimeServices { Random = new Random(7) }).ReturnValue;
        var os = Run("random", RuntimeServices.None).ReturnValue;
        Assert.Equal(a, b);
        Assert.NotEqual(a, os);
    }

    [Fact]
    public void Time_now_writes_the_clock_in_nanoseconds()
    {
        var at = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);
        var bytes = Run("time", new RuntimeServices { Clock = new FixedClock(at) }).ReturnValue!;
        Assert.Equal((ulong)(at - DateTimeOffset.UnixEpoch).Ticks * 100, BinaryPrimitives.ReadUInt64LittleEndian(bytes));
        Run("time_bad_buffer", RuntimeServices.None).AssertHostError(HostErrorCode.InvalidMemoryAccess);
    }

    [Fact]
    public void Ed25519_verify_accepts_good_signatures_only()
    {
        using var key = Key.Create(SignatureAlgorithm.Ed25519);
        var message = "signed message"u8.ToArray();
        var signature = SignatureAlgorithm.Ed25519.Sign(key, message);
        var publicKey = key.PublicKey.Export(KeyBlobFormat.RawPublicKey);

        Assert.Equal([1], Run("verify", RuntimeServices.None, [.. signature, .. publicKey, .. message]).ReturnValue);
        message[0] ^= 1;
        Assert.Equal([0], Run("verify", RuntimeServices.None, [.. signature, .. publicKey, .. message]).ReturnValue);
    }

    [Fact]
    public void Fetch_is_off_by_default()
    {
        var (status, body) = Fetch("https://example.com/", RuntimeServices.None);
        Assert.Equal(1, status);
        Assert.Contains("disabled", body, StringComparison.Ordinal);
    }

    [Fact]
    public void Fetch_only_reaches_allow_listed_hosts()
    {
        var handler = new StubHandler();
        var services = new RuntimeServices { Fetch = FetchPolicy.AllowOnly("api.example.com") with { Handler = handler } };

        var (status, body) = Fetch("https://evil.example.net/x", services);
        Assert.Equal(1, status);
        Assert.Contains("allow-list", body, StringComparison.Ordinal);
        Assert.Equal(0, handler.Requests);

        (status, body) = Fetch("https://API.example.com/price", services);
        Assert.Equal(0, status);
        Assert.Equal("GET https://api.example.com/price", body);

        (status, _) = Fetch("ftp://api.example.com/price", services);
        Assert.Equal(1, status);
        Assert.Equal(1, handler.Requests);
    }

    private static (int Status, string Body) Fetch(string url, RuntimeServices services)
    {
        var bytes = Run("fetch", services, Encoding.UTF8.GetBytes(url)).ReturnValue!;
        return (bytes[0], Encoding.UTF8.GetString(bytes, 1, bytes.Length - 1));
    }

    private sealed class FixedMembership(byte[][] members) : IContextMembership
    {
        public bool IsMember(ReadOnlySpan<byte> publicKey)
        {
            foreach (var m in members)
            {
                if (m.AsSpan().SequenceEqual(publicKey))
                {
                    return true;
                }
            }

            return false;
        }

        public IReadOnlyList<byte[]> Members() => members;
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }

    private sealed class StubHandler : HttpMessageHandler
    {
        public int Requests { get; private set; }

        protected override HttpResponseMessage Send(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Requests++;
            return new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent($"{request.Method} {request.RequestUri}") };
        }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(Send(request, cancellationToken));
    }
}
