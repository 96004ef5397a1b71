using Xunit;

namespace Mero.Governance.Tests;

public sealed class CascadeTests : IDisposable
{
    private static readonly GroupId Ns = Id(1);
    private static readonly GroupId Team = Id(2);
    private static readonly GroupId OpenChild = Id(3);
    private static readonly GroupId DirectChild = Id(4);
    private static readonly GroupId Grandchild = Id(5);
    private static readonly ContextId InTeam = ContextId.FromBytes(Enumerable.Repeat((byte)21, 32).ToArray());
    private static readonly ContextId InOpenChild = ContextId.FromBytes(Enumerable.Repeat((byte)22, 32).ToArray());
    private static readonly ContextId InDirectChild = ContextId.FromBytes(Enumerable.Repeat((byte)23, 32).ToArray());
    private static readonly ContextId InGrandchild = ContextId.FromBytes(Enumerable.Repeat((byte)24, 32).ToArray());

    private readonly TestNode _admin = TestNode.Founder(Ns);
    private readonly NamespaceIdentity _member = NamespaceIdentity.Generate();

    public CascadeTests()
    {
        _admin.IssueOk(new CreateGroupOp(Team, Ns, Visibility.Open, _admin.AgreementKey, []));
        _admin.IssueOk(new CreateGroupOp(OpenChild, Team, Visibility.Open, _admin.AgreementKey, []));
        _admin.IssueOk(new CreateGroupOp(DirectChild, Team, Visibility.Open, _admin.AgreementKey, []));
        _admin.IssueOk(new CreateGroupOp(Grandchild, OpenChild, Visibility.Open, _admin.AgreementKey, []));
        _admin.IssueOk(new AddMemberOp(Team, _member.PublicKey, GroupRole.Member, _member.Agreement.PublicKey));
        _admin.IssueOk(new AddMemberOp(DirectChild, _member.PublicKey, GroupRole.Member, _member.Agreement.PublicKey));
        (GroupId, ContextId)[] contexts = [(Team, InTeam), (OpenChild, InOpenChild), (DirectChild, InDirectChild), (Grandchild, InGrandchild)];
        var nonce = 1UL;
        foreach (var (group, context) in contexts)
        {
            _admin.IssueOk(new RegisterContextOp(group, context));
            Apply(_admin.Forge(_member, new JoinContextOp(group, context), nonce++));
        }
    }

    public void Dispose() => _admin.Dispose();

    [Fact]
    public void Member_removal_leaves_contexts_below_except_where_the_member_is_direct()
    {
        var state = _admin.Engine.State;
        Assert.All([InTeam, InOpenChild, InDirectChild, InGrandchild], c => Assert.True(state.HasJoinedContext(c, _member.PublicKey)));

        _admin.IssueOk(new RemoveMemberOp(Team, _member.PublicKey, default, []));

        state = _admin.Engine.State;
        Assert.Null(state.Member(Team, _member.PublicKey));
        Assert.False(state.HasJoinedContext(InTeam, _member.PublicKey));
        Assert.False(state.HasJoinedContext(InOpenChild, _member.PublicKey));
        Assert.False(state.HasJoinedContext(InGrandchild, _member.PublicKey));
        Assert.True(state.HasJoinedContext(InDirectChild, _member.PublicKey));
        Assert.NotNull(state.Member(DirectChild, _member.PublicKey));
        Assert.Equal(_admin.Engine.LiveStateRecords(), _admin.Engine.PersistedStateRecords());
    }

    [Fact]
    public void Group_deletion_removes_the_subtree_its_members_and_contexts()
    {
        _admin.IssueOk(new SetGroupAliasOp(OpenChild, "child"));
        _admin.IssueOk(new DeleteGroupOp(OpenChild));

        var state = _admin.Engine.State;
        Assert.False(state.GroupExists(OpenChild));
        Assert.False(state.GroupExists(Grandchild));
        Assert.True(state.GroupExists(Team));
        Assert.True(state.GroupExists(DirectChild));
        Assert.Null(state.ContextGroup(InOpenChild));
        Assert.Null(state.ContextGroup(InGrandchild));
        Assert.Empty(state.ContextMembers(InOpenChild));
        Assert.Empty(state.ContextMembers(InGrandchild));
        Assert.Empty(state.Members(OpenChild));
        Assert.Null(state.GroupAlias(OpenChild));
        Assert.DoesNotContain(OpenChild, state.Children(Team));
        Assert.Equal(Team, state.ContextGroup(InTeam));

        // Ops naming the deleted group are refused afterwards.
        var (_, result) = _admin.Issue(new SetGroupAliasOp(OpenChild, "gone"));
        Assert.Equal(RejectCode.NotFound, result.Rejection!.Code);
        Assert.Equal(_admin.Engine.LiveStateRecords(), _admin.Engine.PersistedStateRecords());
    }

    [Fact]
    public void Namespace_leave_drops_every_direct_row_and_joined_context_of_the_leaver()
    {
        _admin.IssueOk(new AddMemberOp(Ns, _member.PublicKey, GroupRole.Member, _member.Agreement.PublicKey));
        Apply(_admin.Forge(_member, new LeaveGroupOp(Ns), 5));

        var state = _admin.Engine.State;
        Assert.Null(state.Member(Ns, _member.PublicKey));
        Assert.Null(state.Member(Team, _member.PublicKey));
        Assert.Null(state.Member(DirectChild, _member.PublicKey));
        Assert.All([InTeam, InOpenChild, InDirectChild, InGrandchild], c => Assert.False(state.HasJoinedContext(c, _member.PublicKey)));
        Assert.NotNull(state.Member(Ns, _admin.Key));
        Assert.Equal(_admin.Engine.LiveStateRecords(), _admin.Engine.PersistedStateRecords());
    }

    [Fact]
    public void A_subgroup_leave_keeps_the_namespace_row_and_other_groups()
    {
        _admin.IssueOk(new AddMemberOp(Ns, _member.PublicKey, GroupRole.Member, _member.Agreement.PublicKey));
        Apply(_admin.Forge(_member, new LeaveGroupOp(DirectChild), 5));

        var state = _admin.Engine.State;
        Assert.Null(state.Member(DirectChild, _member.PublicKey));
        Assert.False(state.HasJoinedContext(InDirectChild, _member.PublicKey));
        Assert.NotNull(state.Member(Ns, _member.PublicKey));
        Assert.NotNull(state.Member(Team, _member.PublicKey));
        Assert.True(state.HasJoinedContext(InTeam, _member.PublicKey));
    }

    [Fact]
    public void Namespace_leave_is_refused_up_front_when_the_leaver_owns_a_subgroup()
    {
        _admin.IssueOk(new AddMemberOp(Ns, _member.PublicKey, GroupRole.Member, _member.Agreement.PublicKey));
        _admin.IssueOk(new SetRoleOp(Team, _member.PublicKey, GroupRole.Admin));
        var owned = Id(9);
        Apply(_admin.Forge(_member, new CreateGroupOp(owned, Team, Visibility.Open, _member.Agreement.PublicKey, []), 5));
        var before = _admin.Dump();

        var result = _admin.Receive(_admin.Forge(_member, new LeaveGroupOp(Ns), 6).Wire);

        Assert.Equal(ApplyStatus.Rejected, result.Status);
        Assert.Equal(RejectCode.OwnerImmune, result.Rejection!.Code);
        Assert.Contains(owned.ToString(), result.Rejection.Message, StringComparison.Ordinal);
        Assert.Equal(before, _admin.Dump());
        Assert.NotNull(_admin.Engine.State.Member(Ns, _member.PublicKey));
        Assert.NotNull(_admin.Engine.State.Member(Team, _member.PublicKey));
    }

    [Fact]
    public void The_namespace_owner_cannot_leave()
    {
        var (_, result) = _admin.Issue(new LeaveGroupOp(Ns));
        Assert.Equal(RejectCode.OwnerImmune, result.Rejection!.Code);
        Assert.NotNull(_admin.Engine.State.Member(Ns, _admin.Key));
    }

    private void Apply(SignedGroupOp op)
    {
        var result = _admin.Receive(op.Wire);
        Assert.True(result.Status == ApplyStatus.Applied, result.Rejection?.ToString());
    }

    private static GroupId Id(byte b) => GroupId.FromBytes(Enumerable.Repeat(b, 32).ToArray());
}
