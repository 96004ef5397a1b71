using Mero.Crypto;
using Xunit;

namespace Mero.Governance.Tests;

/// <summary>Pull-based key recovery: a member lacking a group key gets it wrapped by a peer that holds it.</summary>
public sealed class KeyRecoveryTests
{
    private static readonly GroupId Ns = GroupId.FromBytes(Enumerable.Repeat((byte)4, 32).ToArray());

    [Fact]
    public void A_member_without_the_key_recovers_it_and_the_ops_waiting_for_it_apply()
    {
        using var founder = TestNode.Founder(Ns);
        using var member = TestNode.Create(Ns);

        // Admitted without the key delivery: its own admission and the op after it stay sealed.
        founder.IssueOk(new AddMemberOp(Ns, member.Key, GroupRole.Member, member.AgreementKey));
        var secret = founder.IssueOk(new SetGroupAliasOp(Ns, "secret"));
        member.ReceiveAll(founder.Engine.AppliedOps);
        Assert.Equal(2, member.Engine.PendingCount);
        var keyId = secret.SealedKeyId;
        Assert.Null(member.Engine.GroupKey(keyId));

        var envelope = founder.Engine.WrapKeyForMember(Ns, member.Key, keyId);
        Assert.NotEmpty(envelope);
        Assert.True(Accept(member, keyId, envelope));

        Assert.Equal(0, member.Engine.PendingCount);
        Assert.Equal("secret", member.Engine.State.GroupAlias(Ns));
        Assert.Equal(founder.Engine.StateHash, member.Engine.StateHash);
        Assert.Equal(founder.Engine.GroupKey(keyId), member.Engine.GroupKey(keyId));

        // The recovered key is stored: it is still held after a restart.
        member.Restart();
        Assert.Equal(founder.Engine.GroupKey(keyId), member.Engine.GroupKey(keyId));
    }

    [Fact]
    public void Requests_not_served_all_get_the_same_empty_envelope()
    {
        using var founder = TestNode.Founder(Ns);
        using var member = TestNode.Create(Ns);
        using var outsider = TestNode.Create(Ns);
        founder.AddWithKeys(Ns, member, GroupRole.Member);
        var keyId = founder.Engine.LatestKey(Ns)!.Value.KeyId;
        var otherGroup = GroupId.FromBytes(Enumerable.Repeat((byte)8, 32).ToArray());

        Assert.Empty(founder.Engine.WrapKeyForMember(Ns, outsider.Key, keyId));
        Assert.Empty(founder.Engine.WrapKeyForMember(Ns, member.Key, Hash.FromBytes(new byte[32])));
        Assert.Empty(founder.Engine.WrapKeyForMember(otherGroup, member.Key, keyId));

        // A removed member is no longer served, not even the key it held before.
        founder.IssueOk(new RemoveMemberOp(Ns, member.Key, default, []));
        Assert.Empty(founder.Engine.WrapKeyForMember(Ns, member.Key, keyId));
    }

    [Fact]
    public void An_envelope_that_is_not_for_this_node_or_this_key_is_refused_and_nothing_is_stored()
    {
        using var founder = TestNode.Founder(Ns);
        using var member = TestNode.Create(Ns);
        using var other = TestNode.Create(Ns);
        founder.IssueOk(new AddMemberOp(Ns, member.Key, GroupRole.Member, member.AgreementKey));
        founder.IssueOk(new AddMemberOp(Ns, other.Key, GroupRole.Member, other.AgreementKey));
        var secret = founder.IssueOk(new SetGroupAliasOp(Ns, "secret"));
        member.ReceiveAll(founder.Engine.AppliedOps);
        other.ReceiveAll(founder.Engine.AppliedOps);
        var keyId = secret.SealedKeyId;
        var forOther = founder.Engine.WrapKeyForMember(Ns, other.Key, keyId);
        var forMember = founder.Engine.WrapKeyForMember(Ns, member.Key, keyId);
        var before = member.Dump();

        Assert.False(Accept(member, keyId, forOther));
        Assert.False(Accept(member, Hash.FromBytes(Enumerable.Repeat((byte)1, 32).ToArray()), forMember));
        var tampered = (byte[])forMember.Clone();
        tampered[^1] ^= 1;
        Assert.False(Accept(member, keyId, tampered));
        Assert.False(Accept(member, keyId, []));

        Assert.Equal(before, member.Dump());
        Assert.Equal(3, member.Engine.PendingCount);
        Assert.True(Accept(member, keyId, forMember));
    }

    [Fact]
    public void A_recovered_key_opens_data_but_never_displaces_the_key_a_node_seals_with()
    {
        using var founder = TestNode.Founder(Ns);
        using var member = TestNode.Create(Ns);
        using var leaving = TestNode.Create(Ns);
        founder.IssueOk(new AddMemberOp(Ns, member.Key, GroupRole.Member, member.AgreementKey));
        founder.AddWithKeys(Ns, leaving, GroupRole.Member);
        var first = founder.Engine.LatestKey(Ns)!.Value.KeyId;
        founder.IssueOk(new RemoveMemberOp(Ns, leaving.Key, default, []));
        var second = founder.Engine.LatestKey(Ns)!.Value.KeyId;
        Assert.NotEqual(first, second);
        member.ReceiveAll(founder.Engine.AppliedOps);

        Assert.True(Accept(member, second, founder.Engine.WrapKeyForMember(Ns, member.Key, second)));
        Assert.True(Accept(member, first, founder.Engine.WrapKeyForMember(Ns, member.Key, first)));

        Assert.Equal(second, member.Engine.LatestKey(Ns)!.Value.KeyId);
        Assert.NotNull(member.Engine.GroupKey(first));
    }

    private static bool Accept(TestNode node, Hash keyId, byte[] envelope)
    {
        using var batch = node.Store.CreateBatch();
        var accepted = node.Engine.AcceptRecoveredKey(Ns, keyId, envelope, batch);
        node.Store.Commit(batch);
        return accepted;
    }
}
