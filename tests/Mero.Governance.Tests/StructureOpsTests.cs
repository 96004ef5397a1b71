using Xunit;

namespace Mero.Governance.Tests;

/// <summary>ReparentGroup and TransferOwnership: engine rules, hostile signers, and concurrent reparents that would close a loop.</summary>
public sealed class StructureOpsTests : IDisposable
{
    private static readonly GroupId Ns = Id(1);
    private static readonly GroupId Team = Id(2);
    private static readonly GroupId Child = Id(3);
    private static readonly GroupId Other = Id(4);

    private readonly TestNode _admin = TestNode.Founder(Ns);
    private readonly NamespaceIdentity _member = NamespaceIdentity.Generate();

    public StructureOpsTests()
    {
        _admin.IssueOk(new CreateGroupOp(Team, Ns, Visibility.Open, _admin.AgreementKey, []));
        _admin.IssueOk(new CreateGroupOp(Child, Team, Visibility.Open, _admin.AgreementKey, []));
        _admin.IssueOk(new CreateGroupOp(Other, Ns, Visibility.Open, _admin.AgreementKey, []));
        _admin.IssueOk(new AddMemberOp(Ns, _member.PublicKey, GroupRole.Member, _member.Agreement.PublicKey));
        _admin.IssueOk(new AddMemberOp(Team, _member.PublicKey, GroupRole.Admin, _member.Agreement.PublicKey));
    }

    public void Dispose() => _admin.Dispose();

    [Fact]
    public void Reparent_swaps_the_parent_edge_and_moves_the_subtree()
    {
        var op = new ReparentGroupOp(Team, Other);
        Assert.Equal(op, GroupOp.Decode(op.Encode()));
        Assert.True(op.IsRootOp);

        _admin.IssueOk(op);

        var state = _admin.Engine.State;
        Assert.Equal(Other, state.Group(Team)!.Parent);
        Assert.DoesNotContain(Team, state.Children(Ns));
        Assert.Equal([Team], state.Children(Other).ToList());
        Assert.Equal([Team, Other, Ns], state.Ancestors(Child).ToList());
        Assert.Equal(_admin.Engine.LiveStateRecords(), _admin.Engine.PersistedStateRecords());

        _admin.Restart();
        Assert.Equal(Other, _admin.Engine.State.Group(Team)!.Parent);
    }

    [Fact]
    public void Hostile_reparents_are_refused_with_nothing_changed()
    {
        var before = _admin.Dump();
        var unknown = Id(9);

        Assert.Equal(RejectCode.ReparentCycle, _admin.Issue(new ReparentGroupOp(Team, Child)).Result.Rejection!.Code);
        Assert.Equal(RejectCode.ReparentCycle, _admin.Issue(new ReparentGroupOp(Team, Team)).Result.Rejection!.Code);
        Assert.Equal(RejectCode.Unauthorized, _admin.Issue(new ReparentGroupOp(Ns, Other)).Result.Rejection!.Code);
        Assert.Equal(RejectCode.NotFound, _admin.Issue(new ReparentGroupOp(unknown, Other)).Result.Rejection!.Code);
        Assert.Equal(RejectCode.NotFound, _admin.Issue(new ReparentGroupOp(Child, unknown)).Result.Rejection!.Code);

        // An admin of the subgroup who is a plain member of the namespace may not move it.
        var byMember = _admin.Receive(_admin.Forge(_member, new ReparentGroupOp(Team, Other), 1).Wire);
        Assert.Equal(ApplyStatus.Rejected, byMember.Status);
        Assert.Equal(RejectCode.Unauthorized, byMember.Rejection!.Code);

        Assert.Equal(before, _admin.Dump());
        Assert.Equal(Ns, _admin.Engine.State.Group(Team)!.Parent);
    }

    [Fact]
    public void Concurrent_reparents_that_would_close_a_loop_converge_with_one_skipped()
    {
        using var second = TestNode.Create(Ns);
        _admin.AddWithKeys(Ns, second, GroupRole.Admin);
        second.ReceiveAll(_admin.Engine.AppliedOps);
        Assert.Equal(_admin.Engine.StateHash, second.Engine.StateHash);

        // Each is fine at its own cut; together they would make Team and Other each other's parent.
        var a = _admin.IssueOk(new ReparentGroupOp(Team, Other));
        var b = second.IssueOk(new ReparentGroupOp(Other, Team));
        _admin.Receive(b.Wire);
        second.Receive(a.Wire);

        Assert.Equal(_admin.Engine.StateHash, second.Engine.StateHash);
        var state = _admin.Engine.State;
        var moved = new[] { Team, Other }.Where(g => state.Group(g)!.Parent != Ns).ToList();
        Assert.Single(moved);
        Assert.Contains(Ns, state.Ancestors(Team));
        Assert.Contains(Ns, state.Ancestors(Other));
        Assert.Equal(_admin.Engine.LiveStateRecords(), _admin.Engine.PersistedStateRecords());
    }

    [Fact]
    public void Ownership_moves_only_by_the_owner_to_a_direct_member_and_frees_the_old_owner()
    {
        var op = new TransferOwnershipOp(Team, _member.PublicKey);
        Assert.Equal(op, GroupOp.Decode(op.Encode()));

        // Not the owner (an admin of the group), not a member, unknown group.
        var byAdmin = _admin.Receive(_admin.Forge(_member, new TransferOwnershipOp(Team, _member.PublicKey), 1).Wire);
        Assert.Equal(RejectCode.Unauthorized, byAdmin.Rejection!.Code);
        Assert.Equal(RejectCode.NotFound, _admin.Issue(new TransferOwnershipOp(Team, NamespaceIdentity.Generate().PublicKey)).Result.Rejection!.Code);
        Assert.Equal(RejectCode.NotFound, _admin.Receive(_admin.Forge(_member, new TransferOwnershipOp(Id(9), _member.PublicKey), 1).Wire).Rejection!.Code);
        Assert.Equal(_admin.Key, _admin.Engine.State.Group(Team)!.Owner);

        // Before the transfer the owner cannot leave; after it, it can, and the new owner is immune.
        Assert.Equal(RejectCode.OwnerImmune, _admin.Issue(new LeaveGroupOp(Team)).Result.Rejection!.Code);
        _admin.IssueOk(op);
        Assert.Equal(_member.PublicKey, _admin.Engine.State.Group(Team)!.Owner);
        Assert.Equal(GroupRole.Admin, _admin.Engine.State.Member(Team, _admin.Key)!.Role);
        Assert.Equal(RejectCode.OwnerImmune, _admin.Issue(new RemoveMemberOp(Team, _member.PublicKey, default, [])).Result.Rejection!.Code);
        _admin.IssueOk(new LeaveGroupOp(Team));
        Assert.Null(_admin.Engine.State.Member(Team, _admin.Key));
        Assert.Equal(_admin.Engine.LiveStateRecords(), _admin.Engine.PersistedStateRecords());
    }

    private static GroupId Id(byte b) => GroupId.FromBytes(Enumerable.Repeat(b, 32).ToArray());
}
