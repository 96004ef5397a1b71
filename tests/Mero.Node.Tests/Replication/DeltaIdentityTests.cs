using Mero.Crypto;
using Mero.Node.Replication;
using Mero.Node.Replication.Wire;
using Mero.Primitives;
using Mero.Primitives.Clock;
using Xunit;

namespace Mero.Node.Tests.Replication;

public class DeltaIdentityTests
{
    private static Hash H(byte fill) => Hash.FromBytes(Enumerable.Repeat(fill, 32).ToArray());

    private static readonly ContextId Context = ContextId.FromBytes(Enumerable.Repeat((byte)1, 32).ToArray());

    private static StateDelta Signed(Ed25519KeyPair author, IReadOnlyList<Hash>? governance = null)
    {
        var hlc = new HybridTimestamp(HybridTimestamp.Pack(1000, 1), author.PublicKey);
        var id = DeltaIdentity.ComputeId(Context, [H(4)], hlc, author.PublicKey, [1, 2, 3]);
        return new StateDelta(Context, author.PublicKey, id, [H(4)], hlc, [0xCC], new byte[WireLimits.NonceLength], governance, H(7),
            DeltaIdentity.Sign(author, Context, id, governance));
    }

    [Fact]
    public void The_id_depends_on_every_input_but_not_on_parent_order()
    {
        using var author = Ed25519KeyPair.FromSeed(Enumerable.Repeat((byte)9, 32).ToArray());
        var hlc = new HybridTimestamp(HybridTimestamp.Pack(1000, 1), author.PublicKey);
        var baseline = DeltaIdentity.ComputeId(Context, [H(1), H(2)], hlc, author.PublicKey, [1, 2, 3]);

        Assert.Equal(baseline, DeltaIdentity.ComputeId(Context, [H(2), H(1)], hlc, author.PublicKey, [1, 2, 3]));
        Assert.NotEqual(baseline, DeltaIdentity.ComputeId(ContextId.FromBytes(new byte[32]), [H(1), H(2)], hlc, author.PublicKey, [1, 2, 3]));
        Assert.NotEqual(baseline, DeltaIdentity.ComputeId(Context, [H(1)], hlc, author.PublicKey, [1, 2, 3]));
        Assert.NotEqual(baseline, DeltaIdentity.ComputeId(Context, [H(1), H(2)], new HybridTimestamp(HybridTimestamp.Pack(1000, 2), author.PublicKey), author.PublicKey, [1, 2, 3]));
        Assert.NotEqual(baseline, DeltaIdentity.ComputeId(Context, [H(1), H(2)], hlc, PublicKey.FromBytes(new byte[32]), [1, 2, 3]));
        Assert.NotEqual(baseline, DeltaIdentity.ComputeId(Context, [H(1), H(2)], hlc, author.PublicKey, [1, 2, 4]));
        // Length framing: moving a byte between fields must change the id.
        Assert.NotEqual(DeltaIdentity.ComputeId(Context, [], hlc, author.PublicKey, [1]), DeltaIdentity.ComputeId(Context, [], hlc, author.PublicKey, [1, 0]));
    }

    [Fact]
    public void A_signed_delta_verifies_after_a_wire_round_trip_and_any_tampering_breaks_it()
    {
        using var author = Ed25519KeyPair.Generate();
        using var stranger = Ed25519KeyPair.Generate();
        var delta = Signed(author, [H(8)]);
        Assert.True(DeltaIdentity.VerifySignature(delta));
        Assert.True(DeltaIdentity.VerifySignature((StateDelta)BroadcastMessage.Decode(delta.Encode())));

        Assert.False(DeltaIdentity.VerifySignature(delta with { DeltaId = H(0) }));
        Assert.False(DeltaIdentity.VerifySignature(delta with { ContextId = ContextId.FromBytes(new byte[32]) }));
        Assert.False(DeltaIdentity.VerifySignature(delta with { AuthorId = stranger.PublicKey }));
        Assert.False(DeltaIdentity.VerifySignature(delta with { GovernanceHeads = null }));
        Assert.False(DeltaIdentity.VerifySignature(delta with { GovernanceHeads = [H(9)] }));
        var flipped = delta.Signature.ToArray();
        flipped[10] ^= 1;
        Assert.False(DeltaIdentity.VerifySignature(delta with { Signature = flipped }));
        Assert.False(DeltaIdentity.VerifySignature(delta with { Signature = DeltaIdentity.Sign(stranger, Context, delta.DeltaId, [H(8)]) }));
        Assert.False(DeltaIdentity.VerifySignature(delta with { AuthorId = PublicKey.FromBytes(Enumerable.Repeat((byte)0xFF, 32).ToArray()) }));
    }
}
