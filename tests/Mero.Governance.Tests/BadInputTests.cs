using Mero.Dag;
using Xunit;

namespace Mero.Governance.Tests;

/// <summary>Each hostile or broken input is refused with its own reason and leaves the store exactly as it was.</summary>
public sealed class BadInputTests : IDisposable
{
    private readonly GroupId _ns = GroupId.FromBytes(Enumerable.Repeat((byte)7, 32).ToArray());
    private readonly TestNode _admin;
    private readonly TestNode _replica;

    public BadInputTests()
    {
        _admin = TestNode.Founder(_ns);
        _replica = TestNode.Create(_ns);
        _admin.AddWithKeys(_ns, _replica, GroupRole.ReadOnly);
        _replica.ReceiveAll(_admin.Engine.AppliedOps);
    }

    public void Dispose()
    {
        _admin.Dispose();
        _replica.Dispose();
    }

    private void AssertRejectedAndNothingPersisted(TestNode node, byte[] wire, RejectCode expected)
    {
        var before = node.Dump();
        var hash = node.Engine.StateHash;
        var result = node.Receive(wire);
        Assert.Equal(ApplyStatus.Rejected, result.Status);
        Assert.Equal(expected, result.Rejection!.Code);
        Assert.Equal(before, node.Dump());
        Assert.Equal(hash, node.Engine.StateHash);
    }

    [Fact]
    public void Forged_signature_is_refused()
    {
        var op = _admin.IssueOk(new SetGroupAliasOp(_ns, "real"));
        var forged = (byte[])op.Wire.Clone();
        forged[^1] ^= 0x01;
        AssertRejectedAndNothingPersisted(_replica, forged, RejectCode.BadSignature);

        // A payload byte changed under the original signature fails the same way.
        var tampered = (byte[])op.Wire.Clone();
        tampered[op.SignableLength - 1] ^= 0x01;
        AssertRejectedAndNothingPersisted(_replica, tampered, RejectCode.BadSignature);
    }

    [Fact]
    public void Replayed_op_is_an_idempotent_duplicate_and_a_reused_nonce_is_refused()
    {
        var op = _admin.IssueOk(new SetGroupAliasOp(_ns, "once"));
        Assert.Equal(ApplyStatus.Applied, _replica.Receive(op.Wire).Status);
        var before = _replica.Dump();
        Assert.Equal(ApplyStatus.Duplicate, _replica.Receive(op.Wire).Status);
        Assert.Equal(before, _replica.Dump());

        // Same signer and nonce on a different op (new parents): a replay of the nonce, not of the op.
        var replay = _admin.Forge(_admin.Identity, new SetGroupAliasOp(_ns, "twice"), op.Nonce);
        AssertRejectedAndNothingPersisted(_replica, replay.Wire, RejectCode.NonceReplayed);
    }

    [Fact]
    public void Nonce_gap_is_refused()
    {
        var last = _admin.Engine.AppliedOps.Where(o => o.Signer == _admin.Key).Max(o => o.Nonce);
        var gap = _admin.Forge(_admin.Identity, new SetGroupAliasOp(_ns, "gap"), last + 2);
        AssertRejectedAndNothingPersisted(_replica, gap.Wire, RejectCode.NonceGap);
    }

    [Fact]
    public void Unknown_parents_beyond_the_pending_bound_are_refused()
    {
        using var bounded = TestNode.Create(_ns, dagOptions: new DagOptions { MaxPending = 2 });
        var ops = Enumerable.Range(0, 3).Select(i => _admin.IssueOk(new SetGroupAliasOp(_ns, $"a{i}"))).ToList();

        // The genesis is missing, so every op waits; two fit, the third overflows.
        Assert.Equal(ApplyStatus.Pending, bounded.Receive(ops[0].Wire).Status);
        Assert.Equal(ApplyStatus.Pending, bounded.Receive(ops[1].Wire).Status);
        AssertRejectedAndNothingPersisted(bounded, ops[2].Wire, RejectCode.PendingFull);
    }

    [Fact]
    public void Member_doing_admin_work_is_refused()
    {
        using var member = TestNode.Create(_ns);
        _admin.AddWithKeys(_ns, member, GroupRole.Member);
        _replica.ReceiveAll(_admin.Engine.AppliedOps);
        var stranger = NamespaceIdentity.Generate();
        var op = _admin.Forge(member.Identity, new AddMemberOp(_ns, stranger.PublicKey, GroupRole.Member, stranger.Agreement.PublicKey), 1);
        AssertRejectedAndNothingPersisted(_replica, op.Wire, RejectCode.Unauthorized);

        var promote = _admin.Forge(member.Identity, new SetRoleOp(_ns, member.Key, GroupRole.Admin), 1);
        AssertRejectedAndNothingPersisted(_replica, promote.Wire, RejectCode.Unauthorized);
    }

    [Fact]
    public void ReadOnly_member_cannot_write_even_with_a_capability()
    {
        _replica.ReceiveAll([_admin.IssueOk(new SetCapabilitiesOp(_ns, _replica.Key, Capabilities.CanCreateContext))]);
        var op = _admin.Forge(_replica.Identity, new RegisterContextOp(_ns, ContextId.FromBytes(new byte[32])), 1);
        AssertRejectedAndNothingPersisted(_replica, op.Wire, RejectCode.ReadOnly);
    }

    [Fact]
    public void Parent_admin_cannot_act_inside_a_restricted_child()
    {
        using var adminB = TestNode.Create(_ns);
        _admin.AddWithKeys(_ns, adminB, GroupRole.Admin);
        var restricted = GroupId.FromBytes(Enumerable.Repeat((byte)1, 32).ToArray());
        var open = GroupId.FromBytes(Enumerable.Repeat((byte)2, 32).ToArray());
        _admin.IssueOk(new CreateGroupOp(restricted, _ns, Visibility.Restricted, _admin.AgreementKey, []));
        _admin.IssueOk(new CreateGroupOp(open, _ns, Visibility.Open, _admin.AgreementKey, []));
        _replica.ReceiveAll(_admin.Engine.AppliedOps);
        adminB.ReceiveAll(_admin.Engine.AppliedOps);

        var stranger = NamespaceIdentity.Generate();
        var intoRestricted = _admin.Forge(adminB.Identity, new AddMemberOp(restricted, stranger.PublicKey, GroupRole.Member, stranger.Agreement.PublicKey), 1);
        AssertRejectedAndNothingPersisted(_replica, intoRestricted.Wire, RejectCode.Unauthorized);

        // The same admin may act in an Open child: admin authority flows down Open edges.
        var (_, intoOpen) = adminB.Issue(new AddMemberOp(open, stranger.PublicKey, GroupRole.Member, stranger.Agreement.PublicKey));
        Assert.Equal(ApplyStatus.Applied, intoOpen.Status);
    }

    [Fact]
    public void Malformed_borsh_is_refused()
    {
        var op = _admin.IssueOk(new SetGroupAliasOp(_ns, "x"));
        AssertRejectedAndNothingPersisted(_replica, op.Wire[..40], RejectCode.Malformed);
        AssertRejectedAndNothingPersisted(_replica, [.. op.Wire[..op.SignableLength], 0xFF, .. op.Wire[op.SignableLength..]], RejectCode.Malformed);
        AssertRejectedAndNothingPersisted(_replica, [], RejectCode.Malformed);
        var wrongVersion = (byte[])op.Wire.Clone();
        wrongVersion[0] = 9;
        AssertRejectedAndNothingPersisted(_replica, wrongVersion, RejectCode.Malformed);

        // A validly signed envelope whose clear payload is not a valid op.
        var bogus = new BorshWriterShim().Envelope(_admin.Identity, _ns, _admin.Engine.Heads, 99, [0x12, 0x00]);
        AssertRejectedAndNothingPersisted(_replica, bogus, RejectCode.Malformed);
    }

    [Fact]
    public void Expired_invitation_is_refused_at_claim_and_at_apply()
    {
        using var joiner = TestNode.Create(_ns);
        var invitation = _admin.Engine.CreateInvitation(_ns, GroupRole.Member, expiresAtMs: 1_000, Hash.FromBytes(new byte[32]));
        using (var batch = joiner.Store.CreateBatch())
        {
            var (envelope, local) = joiner.Engine.ClaimInvitation(invitation, [.. _admin.Engine.Heads], nowMs: 2_000, batch);
            Assert.Null(envelope);
            Assert.Equal(RejectCode.InvitationExpired, local.Rejection!.Code);
        }

        // A claim signed with a time past expiry is refused by every node.
        var late = SignedGroupOp.Create(joiner.Identity.Signing, _ns, _admin.Engine.Heads, 1, default, new JoinWithInvitationOp(invitation, joiner.AgreementKey, 2_000), null);
        AssertRejectedAndNothingPersisted(_replica, late.Wire, RejectCode.InvitationExpired);
    }

    [Fact]
    public void Reused_invitation_is_refused()
    {
        var invitation = _admin.Engine.CreateInvitation(_ns, GroupRole.Member, expiresAtMs: ulong.MaxValue, Hash.FromBytes(new byte[32]));
        using var first = TestNode.Create(_ns);
        using var second = TestNode.Create(_ns);
        var claim = SignedGroupOp.Create(first.Identity.Signing, _ns, _admin.Engine.Heads, 1, default, new JoinWithInvitationOp(invitation, first.AgreementKey, 10), null);
        Assert.Equal(ApplyStatus.Applied, _admin.Receive(claim.Wire).Status);
        _replica.ReceiveAll(_admin.Engine.AppliedOps);
        Assert.NotNull(_replica.Engine.State.Member(_ns, first.Key));

        var reuse = SignedGroupOp.Create(second.Identity.Signing, _ns, _admin.Engine.Heads, 1, default, new JoinWithInvitationOp(invitation, second.AgreementKey, 20), null);
        AssertRejectedAndNothingPersisted(_replica, reuse.Wire, RejectCode.InvitationUsed);
    }

    [Fact]
    public void Op_from_another_namespace_is_refused()
    {
        using var other = TestNode.Founder(GroupId.FromBytes(Enumerable.Repeat((byte)9, 32).ToArray()));
        var foreign = other.IssueOk(new SetGroupAliasOp(other.Namespace, "elsewhere"));
        AssertRejectedAndNothingPersisted(_replica, foreign.Wire, RejectCode.WrongNamespace);
    }

    [Fact]
    public void Second_parentless_op_is_not_a_genesis()
    {
        var orphan = SignedGroupOp.Create(_admin.Identity.Signing, _ns, [], 50, default, new KeyDeliveryOp(_ns, []), null);
        AssertRejectedAndNothingPersisted(_replica, orphan.Wire, RejectCode.BadGenesis);
    }

    [Fact]
    public void Local_op_built_against_a_stale_state_hash_is_refused()
    {
        var stale = _admin.Forge(_admin.Identity, new SetGroupAliasOp(_ns, "stale"), _admin.Engine.AppliedOps.Where(o => o.Signer == _admin.Key).Max(o => o.Nonce) + 1);
        _admin.IssueOk(new SetGroupAliasOp(_ns, "meanwhile"));
        var before = _admin.Dump();
        using var batch = _admin.Store.CreateBatch();
        var result = _admin.Engine.ApplyLocal(stale, batch);
        _admin.Store.Commit(batch);
        Assert.Equal(RejectCode.StaleStateHash, result.Rejection!.Code);
        Assert.Equal(before, _admin.Dump());
    }

    /// <summary>Builds a correctly signed envelope around arbitrary clear payload bytes.</summary>
    private sealed class BorshWriterShim
    {
        public byte[] Envelope(NamespaceIdentity signer, GroupId ns, IEnumerable<Hash> parents, ulong nonce, byte[] payload)
        {
            var w = new Primitives.BorshWriter();
            w.WriteU8(SignedGroupOp.SchemaVersion).WriteId(ns).WriteVec(parents.Order().ToList(), static (w, p) => w.WriteId(p))
                .WriteId(signer.PublicKey).WriteU64(nonce).WriteId(default(Hash)).WriteU8(0).WriteBytes(payload);
            var signable = w.ToArray();
            return [.. signable, .. signer.Signing.Sign(signable)];
        }
    }
}
