using Mero.Crypto;
using Xunit;

namespace Mero.Governance.Tests;

public sealed class AuthorityAndKeyTests
{
    private static readonly GroupId Ns = GroupId.FromBytes(Enumerable.Repeat((byte)3, 32).ToArray());

    [Fact]
    public void An_op_authored_before_a_revocation_stays_valid_in_either_arrival_order()
    {
        using var founder = TestNode.Founder(Ns);
        using var adminB = TestNode.Create(Ns);
        using var first = TestNode.Create(Ns);
        using var second = TestNode.Create(Ns);
        founder.AddWithKeys(Ns, adminB, GroupRole.Admin);
        founder.AddWithKeys(Ns, first, GroupRole.ReadOnly);
        founder.AddWithKeys(Ns, second, GroupRole.ReadOnly);
        adminB.ReceiveAll(founder.Engine.AppliedOps);
        var shared = founder.Engine.AppliedOps.ToList();

        // Concurrently: B registers a context; the founder demotes B without having seen it.
        var byB = adminB.IssueOk(new RegisterContextOp(Ns, ContextId.FromBytes(Enumerable.Repeat((byte)9, 32).ToArray())));
        var demote = founder.IssueOk(new SetRoleOp(Ns, adminB.Key, GroupRole.ReadOnly));

        first.ReceiveAll(shared);
        second.ReceiveAll(shared);
        Assert.Equal(ApplyStatus.Applied, first.Receive(demote.Wire).Status);
        Assert.Equal(ApplyStatus.Applied, first.Receive(byB.Wire).Status);
        Assert.Equal(ApplyStatus.Applied, second.Receive(byB.Wire).Status);
        Assert.Equal(ApplyStatus.Applied, second.Receive(demote.Wire).Status);
        Assert.Equal(first.Engine.StateHash, second.Engine.StateHash);
        Assert.Equal(GroupRole.ReadOnly, first.Engine.State.Member(Ns, adminB.Key)!.Role);

        // Once B has seen its demotion, its next write is refused everywhere.
        adminB.Receive(demote.Wire);
        var after = founder.Forge(adminB.Identity, new SetGroupAliasOp(Ns, "too late"), 2, adminB.Engine.Heads);
        var result = first.Receive(after.Wire);
        Assert.Equal(RejectCode.ReadOnly, result.Rejection!.Code);
    }

    [Fact]
    public void Members_open_sealed_ops_with_delivered_keys_and_removal_rotates_the_key()
    {
        using var founder = TestNode.Founder(Ns);
        using var member = TestNode.Create(Ns);
        using var observer = TestNode.Create(Ns);
        founder.AddWithKeys(Ns, member, GroupRole.Member);
        founder.AddWithKeys(Ns, observer, GroupRole.ReadOnly);

        // The member receives everything newest-first: sealed ops wait until the key delivery is seen.
        foreach (var op in founder.Engine.AppliedOps.Reverse())
        {
            Assert.NotEqual(ApplyStatus.Rejected, member.Receive(op.Wire).Status);
        }

        Assert.Equal(0, member.Engine.PendingCount);
        Assert.Equal(founder.Engine.StateHash, member.Engine.StateHash);
        var oldKey = founder.Engine.LatestKey(Ns)!.Value.KeyId;

        var removal = founder.IssueOk(new RemoveMemberOp(Ns, member.Key, default, []));
        var afterRemoval = founder.IssueOk(new SetGroupAliasOp(Ns, "secret"));
        Assert.NotEqual(oldKey, founder.Engine.LatestKey(Ns)!.Value.KeyId);
        Assert.Equal(founder.Engine.LatestKey(Ns)!.Value.KeyId, afterRemoval.SealedKeyId);

        Assert.Equal(ApplyStatus.Applied, member.Receive(removal.Wire).Status);
        var locked = member.Receive(afterRemoval.Wire);
        Assert.Equal(ApplyStatus.Pending, locked.Status);
        Assert.Equal(RejectCode.MissingGroupKey, locked.Rejection!.Code);

        observer.ReceiveAll(founder.Engine.AppliedOps);
        Assert.Equal(founder.Engine.StateHash, observer.Engine.StateHash);
        Assert.Equal("secret", observer.Engine.State.GroupAlias(Ns));
    }

    [Fact]
    public void Pending_ops_survive_a_restart()
    {
        using var founder = TestNode.Founder(Ns);
        using var replica = TestNode.Create(Ns);
        founder.AddWithKeys(Ns, replica, GroupRole.ReadOnly);
        var ops = founder.Engine.AppliedOps.ToList();
        foreach (var op in ops.Skip(1))
        {
            Assert.Equal(ApplyStatus.Pending, replica.Receive(op.Wire).Status);
        }

        replica.Restart();
        Assert.Equal(ops.Count - 1, replica.Engine.PendingCount);
        Assert.Equal(ApplyStatus.Applied, replica.Receive(ops[0].Wire).Status);
        Assert.Equal(0, replica.Engine.PendingCount);
        Assert.Equal(founder.Engine.StateHash, replica.Engine.StateHash);
        replica.Restart();
        Assert.Equal(founder.Engine.StateHash, replica.Engine.StateHash);
        Assert.Equal(founder.Engine.Heads, replica.Engine.PersistedHeads());
    }

    [Fact]
    public void After_a_restart_an_earlier_sorting_op_refolds_from_reopened_ops()
    {
        using var founder = TestNode.Founder(Ns);
        using var adminB = TestNode.Create(Ns);
        using var replica = TestNode.Create(Ns);
        founder.AddWithKeys(Ns, adminB, GroupRole.Admin);
        founder.AddWithKeys(Ns, replica, GroupRole.ReadOnly);
        adminB.ReceiveAll(founder.Engine.AppliedOps);
        replica.ReceiveAll(founder.Engine.AppliedOps);

        // Two concurrent siblings; the replica gets the later-sorting one, restarts, then the earlier one.
        var x = founder.IssueOk(new SetGroupAliasOp(Ns, "from founder"));
        var y = adminB.IssueOk(new SetMetadataOp(Ns, MetadataTarget.Group, [], [1, 2, 3]));
        var (early, late) = x.Id.CompareTo(y.Id) < 0 ? (x, y) : (y, x);
        Assert.Equal(ApplyStatus.Applied, replica.Receive(late.Wire).Status);
        replica.Restart();
        Assert.Equal(ApplyStatus.Applied, replica.Receive(early.Wire).Status);

        founder.Receive(y.Wire);
        Assert.Equal(founder.Engine.StateHash, replica.Engine.StateHash);
        Assert.Equal(founder.Engine.LiveStateRecords(), replica.Engine.PersistedStateRecords());
        replica.Restart();
        Assert.Equal(founder.Engine.StateHash, replica.Engine.StateHash);
    }

    [Fact]
    public void Key_wrap_opens_only_for_its_recipient_and_context()
    {
        using var recipient = X25519KeyPair.Generate();
        using var other = X25519KeyPair.Generate();
        var secret = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();
        var wrapped = KeyWrap.Wrap(recipient.PublicKey, secret, "ctx"u8);
        Assert.Equal(secret, KeyWrap.Unwrap(recipient, wrapped, "ctx"u8));
        Assert.Null(KeyWrap.Unwrap(other, wrapped, "ctx"u8));
        Assert.Null(KeyWrap.Unwrap(recipient, wrapped, "other"u8));
        wrapped[^1] ^= 1;
        Assert.Null(KeyWrap.Unwrap(recipient, wrapped, "ctx"u8));
    }

    [Fact]
    public void Invitation_round_trips_as_json_and_rejects_garbage()
    {
        using var key = Ed25519KeyPair.Generate();
        var invitation = SignedInvitation.Create(key, Ns, Ns, GroupRole.Member, 123, Hash.FromBytes(new byte[32]));
        var parsed = SignedInvitation.FromJson(invitation.ToJson());
        Assert.Equal(invitation.Id, parsed.Id);
        Assert.True(parsed.VerifySignature());
        Assert.Contains("\"expires_at_ms\":123", invitation.ToJson(), StringComparison.Ordinal);
        Assert.Throws<FormatException>(() => SignedInvitation.FromJson("{\"namespace\":1}"));
        Assert.Throws<FormatException>(() => SignedInvitation.FromJson("not json"));
    }
}
