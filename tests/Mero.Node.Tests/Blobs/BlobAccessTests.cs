using System.Security.Cryptography;
using Mero.Crypto;
using Mero.Network.Host;
using Mero.Network.Node;
using Mero.Node.Blobs;
using Mero.Primitives;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace Mero.Node.Tests.Blobs;

/// <summary>Blob access by context membership (upstream's BlobAuth rule), as policy and over two real libp2p nodes.</summary>
public sealed class BlobAccessTests : IAsyncLifetime
{
    private static readonly ContextId Ctx = ContextId.FromBytes(Enumerable.Repeat((byte)7, 32).ToArray());
    private static readonly ContextId Other = ContextId.FromBytes(Enumerable.Repeat((byte)8, 32).ToArray());
    private readonly CancellationTokenSource _cts = new(TimeSpan.FromSeconds(90));
    private readonly Ed25519KeyPair _member = Ed25519KeyPair.Generate();
    private readonly Ed25519KeyPair _stranger = Ed25519KeyPair.Generate();
    private readonly Ed25519KeyPair _keyA = Ed25519KeyPair.Generate();
    private readonly Ed25519KeyPair _keyB = Ed25519KeyPair.Generate();
    private readonly TempBlobStore _storeA = new();
    private readonly TempBlobStore _storeB = new();
    private readonly StepClock _clock = new(DateTimeOffset.FromUnixTimeSeconds(1_800_000_000));
    private Libp2pNode _a = null!;
    private Libp2pNode _b = null!;

    private CancellationToken Ct => _cts.Token;

    public async Task InitializeAsync()
    {
        var options = Libp2pNodeOptions.Calimero(new Libp2pHostOptions { PingInterval = null }, []);
        _a = await Libp2pNode.StartAsync(_keyA, options, ct: Ct);
        _b = await Libp2pNode.StartAsync(_keyB, options, ct: Ct);
    }

    public async Task DisposeAsync()
    {
        await _a.DisposeAsync();
        await _b.DisposeAsync();
        foreach (var key in new[] { _member, _stranger, _keyA, _keyB })
        {
            key.Dispose();
        }

        _storeA.Dispose();
        _storeB.Dispose();
        _cts.Dispose();
    }

    /// <summary>The provider's policy: only <see cref="_member"/> is a member of <see cref="Ctx"/>.</summary>
    private ContextBlobAccess Policy(BlobStorage storage, Ed25519KeyPair? signer = null) => new(
        storage,
        (context, _) => new ValueTask<IReadOnlyList<PublicKey>>(context == Ctx ? [_member.PublicKey] : []),
        (_, payload, _) => new ValueTask<(PublicKey, byte[])?>(signer is null ? null : (signer.PublicKey, signer.Sign(payload))),
        _clock);

    private BlobAuth Signed(Ed25519KeyPair key, BlobId blob, ContextId context, ulong timestamp) =>
        BlobAuth.Create(key.PublicKey, key.Sign(BlobAuthPayload.Encode(blob, context, timestamp)), timestamp);

    [Fact]
    public async Task A_scoped_blob_is_served_only_for_a_fresh_signature_by_a_member_of_its_context()
    {
        var id = _storeA.Blobs.Put("secret"u8);
        var policy = Policy(_storeA.Blobs);
        var now = (ulong)_clock.GetUtcNow().ToUnixTimeSeconds();

        // Unscoped (an operator's upload): served by id, as before.
        Assert.True(await policy.MayServeAsync(id, null, null, Ct));

        _storeA.Blobs.AddScope(id, Ctx);
        Assert.Equal([Ctx], _storeA.Blobs.Scopes(id));
        Assert.True(await policy.MayServeAsync(id, Ctx, Signed(_member, id, Ctx, now), Ct));
        Assert.True(await policy.MayServeAsync(id, Ctx, Signed(_member, id, Ctx, now - ContextBlobAccess.MaxAgeSeconds), Ct));
        Assert.True(await policy.MayServeAsync(id, Ctx, Signed(_member, id, Ctx, now + ContextBlobAccess.MaxFutureSeconds), Ct));

        Assert.False(await policy.MayServeAsync(id, null, null, Ct));                                            // no context
        Assert.False(await policy.MayServeAsync(id, Ctx, null, Ct));                                             // no auth
        Assert.False(await policy.MayServeAsync(id, Other, Signed(_member, id, Other, now), Ct));                // not its context
        Assert.False(await policy.MayServeAsync(id, Ctx, Signed(_stranger, id, Ctx, now), Ct));                  // not a member
        Assert.False(await policy.MayServeAsync(id, Ctx, Signed(_member, id, Ctx, now - ContextBlobAccess.MaxAgeSeconds - 1), Ct)); // stale
        Assert.False(await policy.MayServeAsync(id, Ctx, Signed(_member, id, Ctx, now + ContextBlobAccess.MaxFutureSeconds + 1), Ct)); // future
        var otherBlob = BlobId.FromBytes(SHA256.HashData("other"u8));
        Assert.False(await policy.MayServeAsync(id, Ctx, Signed(_member, otherBlob, Ctx, now), Ct));             // signed for another blob
        var forged = Signed(_member, id, Ctx, now) with { Key = _stranger.PublicKey.ToString() };
        Assert.False(await policy.MayServeAsync(id, Ctx, forged, Ct));                                            // key swapped
        var shortSig = Signed(_member, id, Ctx, now) with { Signature = [1, 2, 3] };
        Assert.False(await policy.MayServeAsync(id, Ctx, shortSig, Ct));                                          // malformed

        // Deleting the blob drops its scopes.
        Assert.True(_storeA.Blobs.Delete(id));
        Assert.Empty(_storeA.Blobs.Scopes(id));
    }

    [Fact]
    public void The_signed_payload_is_upstreams_borsh_layout()
    {
        var blob = BlobId.FromBytes(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray());
        var bytes = BlobAuthPayload.Encode(blob, Ctx, 0x0102030405060708);
        Assert.Equal(72, bytes.Length);
        Assert.Equal(blob.ToArray(), bytes[..32]);
        Assert.Equal(Ctx.ToArray(), bytes[32..64]);
        Assert.Equal(new byte[] { 8, 7, 6, 5, 4, 3, 2, 1 }, bytes[64..]);

        // The wire form: base58 key, signature as 64 numbers (serde's bytes), seconds.
        var json = System.Text.Encoding.UTF8.GetString(BlobWire.EncodeRequest(new BlobRequest(blob.ToString(), Ctx.ToString(), Signed(_member, blob, Ctx, 5))));
        Assert.Contains($"\"public_key\":\"{_member.PublicKey}\"", json, StringComparison.Ordinal);
        Assert.Contains("\"signature\":[", json, StringComparison.Ordinal);
        Assert.Contains("\"timestamp\":5", json, StringComparison.Ordinal);
        var (_, decoded) = BlobWire.DecodeRequest(System.Text.Encoding.UTF8.GetBytes(json));
        Assert.Equal(64, decoded.Auth!.Parse()!.Value.Signature.Length);
    }

    [Fact]
    public async Task Over_the_network_a_member_fetches_a_scoped_blob_and_a_non_member_gets_not_found()
    {
        var content = TempBlobStore.Random(70_000, 3);
        await using var provider = new BlobService(_storeA.Blobs, () => _a, _clock, NullLogger<BlobService>.Instance, BlobTransferTimeouts.Default, Policy(_storeA.Blobs));
        await provider.StartAsync(Ct);
        var (id, _) = await provider.UploadAsync(new MemoryStream(content), BlobManifest.MaxBlobSize, Ct, Ctx);
        await _b.Host.DialAsync(_a.Host.ListenAddresses[0].WithPeerId(_a.PeerId), Ct);

        // Unsigned, or signed by a stranger: "not found", nothing stored.
        Assert.Null(await BlobTransfer.FetchAsync(_b.Host, _a.PeerId, id, _storeB.Blobs, BlobTransferTimeouts.Default, Ct, Ctx));
        var now = (ulong)_clock.GetUtcNow().ToUnixTimeSeconds();
        Assert.Null(await BlobTransfer.FetchAsync(_b.Host, _a.PeerId, id, _storeB.Blobs, BlobTransferTimeouts.Default, Ct, Ctx, Signed(_stranger, id, Ctx, now)));
        Assert.Null(await BlobTransfer.FetchAsync(_b.Host, _a.PeerId, id, _storeB.Blobs, BlobTransferTimeouts.Default, Ct));
        Assert.False(_storeB.Blobs.Has(id));

        // The member's node signs with its key in the context and gets the bytes, scoped there too.
        await using var requester = new BlobService(_storeB.Blobs, () => _b, _clock, NullLogger<BlobService>.Instance, BlobTransferTimeouts.Default, Policy(_storeB.Blobs, _member));
        var manifest = await requester.GetOrFetchAsync(id, Ct, Ctx);
        Assert.Equal(content.Length, manifest!.Size);
        Assert.Equal(content, _storeB.Blobs.ReadAll(id));
        Assert.Equal([Ctx], _storeB.Blobs.Scopes(id));
    }

    /// <summary>A clock that stays where it is set (signatures are checked against it on both ends).</summary>
    private sealed class StepClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
