using Mero.Governance;
using Mero.Node.Governance;
using Mero.Node.Replication;
using Mero.Node.Replication.Simulation;
using Mero.Store;
using Xunit;

namespace Mero.Node.Tests.Governance;

/// <summary>Namespace leave and delete, subgroup create / list / delete / leave through <see cref="GovernanceService"/>.</summary>
public sealed class LeaveDeleteTests
{
    private static readonly CancellationToken Ct = CancellationToken.None;

    [Fact]
    public async Task Leaving_a_namespace_cascades_on_peers_stops_following_and_refuses_writes_even_after_a_restart()
    {
        var network = GovNode.Network(21);
        await using var node1 = await GovNode.StartAsync(network, "node1");
        var node2 = await GovNode.StartAsync(network, "node2");
        try
        {
            var (created, key2) = await ContextIndexTests.CreateAndJoinAsync(node1, node2);
            var ns = created.Namespace;
            await node2.Service.JoinContextAsync(created.Context, Ct);
            var sub = await node1.Service.CreateGroupAsync(ns, null, "sub", Ct);
            var agreement2 = await node2.Query(ns, e => e.Identity.Agreement.PublicKey);
            await node1.Service.IssueAsync(ns, new AddMemberOp(sub, key2, GroupRole.Member, agreement2), Ct);
            await Eventually.TrueAsync(async () => await node2.Query(ns, e => e.State.Member(sub, key2) is not null && e.HoldsKeyFor(sub)), "node2 is in the subgroup");
            Assert.Equal(WriteVerdict.Allowed, await node2.Authority.AuthorizeWriteAsync(created.Context, key2, null, Ct));

            Assert.Equal(key2, await node2.Service.LeaveNamespaceAsync(ns, Ct));

            // The leaver: no longer follows; the context stays governed but its writes are refused.
            Assert.False(node2.Service.Follows(ns));
            Assert.Empty(node2.Service.Namespaces);
            Assert.True(await node2.Authority.IsGovernedAsync(created.Context, Ct));
            Assert.Equal(WriteVerdict.NotMember, await node2.Authority.AuthorizeWriteAsync(created.Context, key2, null, Ct));
            Assert.Null(await node2.Authority.CurrentKeyAsync(created.Context, Ct));
            // It no longer serves the namespace's ops to peers.
            var refused = await Assert.ThrowsAsync<GovernanceUnavailableException>(() => node1.Service.CatchUpAsync(ns, "node2", null, Ct));
            Assert.Contains("does not follow", refused.Message, StringComparison.Ordinal);

            // Peers see the leave cascade through the subgroup and the joined context.
            await Eventually.TrueAsync(async () => await node1.Query(ns, e => e.State.Member(ns, key2) is null), "node1 sees node2 leave");
            Assert.Null(await node1.Query(ns, e => e.State.Member(sub, key2)));
            Assert.DoesNotContain(key2, await node1.Authority.MembersAsync(created.Context, Ct));

            // Later ops of the namespace do not reach the leaver.
            await node1.Service.IssueAsync(ns, new SetGroupAliasOp(ns, "after-leave"), Ct);
            await Task.Delay(600);
            Assert.Equal("team", await node2.Query(ns, e => e.State.GroupAlias(ns)));

            // After a restart: still not followed, still governed-but-refused.
            await node2.StopAsync();
            await node2.StartAsync();
            Assert.Empty(node2.Service.Namespaces);
            Assert.True(await node2.Authority.IsGovernedAsync(created.Context, Ct));
            Assert.Equal(WriteVerdict.NotMember, await node2.Authority.AuthorizeWriteAsync(created.Context, key2, null, Ct));
        }
        finally
        {
            await node2.DisposeAsync();
        }
    }

    [Fact]
    public async Task The_owner_cannot_leave_and_bad_targets_are_refused_with_nothing_changed()
    {
        var network = GovNode.Network(22);
        await using var node1 = await StartOne(network);
        var created = await node1.Service.CreateNamespaceAsync(ApplicationId.FromBytes(new byte[32]), null, "solo", Ct);
        var ns = created.Namespace;
        var heads = await node1.Query(ns, e => e.Heads.Order().ToList());

        var owner = await Assert.ThrowsAsync<NodeException>(() => node1.Service.LeaveNamespaceAsync(ns, Ct));
        Assert.Equal(NodeErrorKind.Unauthorized, owner.Kind);
        Assert.Contains("OwnerImmune", owner.Message, StringComparison.Ordinal);
        Assert.True(node1.Service.Follows(ns));

        var root = await Assert.ThrowsAsync<NodeException>(() => node1.Service.LeaveGroupAsync(ns, Ct));
        Assert.Equal(NodeErrorKind.InvalidInput, root.Kind);
        var rootDelete = await Assert.ThrowsAsync<NodeException>(() => node1.Service.DeleteGroupAsync(ns, Ct));
        Assert.Equal(NodeErrorKind.InvalidInput, rootDelete.Kind);

        var unknown = GroupId.FromBytes(Enumerable.Repeat((byte)5, 32).ToArray());
        Assert.Equal(NodeErrorKind.NotFound, (await Assert.ThrowsAsync<NodeException>(() => node1.Service.LeaveNamespaceAsync(unknown, Ct))).Kind);
        Assert.Equal(NodeErrorKind.NotFound, (await Assert.ThrowsAsync<NodeException>(() => node1.Service.DeleteNamespaceAsync(unknown, Ct))).Kind);
        Assert.Equal(NodeErrorKind.NotFound, (await Assert.ThrowsAsync<NodeException>(() => node1.Service.ListSubgroupsAsync(unknown, Ct))).Kind);
        Assert.Equal(heads, await node1.Query(ns, e => e.Heads.Order().ToList()));
    }

    [Fact]
    public async Task Delete_is_for_admins_and_tears_down_only_this_nodes_copy()
    {
        var network = GovNode.Network(23);
        await using var node1 = await GovNode.StartAsync(network, "node1");
        await using var node2 = await GovNode.StartAsync(network, "node2");
        var (created, _) = await ContextIndexTests.CreateAndJoinAsync(node1, node2);
        var ns = created.Namespace;

        // A plain member may not delete.
        var denied = await Assert.ThrowsAsync<NodeException>(() => node2.Service.DeleteNamespaceAsync(ns, Ct));
        Assert.Equal(NodeErrorKind.Unauthorized, denied.Kind);
        Assert.True(node2.Service.Follows(ns));

        await node1.Service.DeleteNamespaceAsync(ns, Ct);

        Assert.Empty(node1.Service.Namespaces);
        Assert.Empty(node1.Store.Scan(Column.Group, ns.ToArray()));
        Assert.Contains(created.Context, node1.Contexts.Deleted);
        Assert.False(await node1.Authority.IsGovernedAsync(created.Context, Ct));
        Assert.Equal(NodeErrorKind.NotFound, (await Assert.ThrowsAsync<NodeException>(() => node1.Service.GetNamespaceAsync(ns, Ct))).Kind);

        // The peer keeps its namespace (delete is local, as upstream).
        Assert.True(node2.Service.Follows(ns));
        Assert.True(await node2.Authority.IsGovernedAsync(created.Context, Ct));

        // And the deletion survives a restart.
        await node1.StopAsync();
        await node1.StartAsync();
        Assert.Empty(node1.Service.Namespaces);
        Assert.False(await node1.Authority.IsGovernedAsync(created.Context, Ct));
    }

    [Fact]
    public async Task Subgroups_are_created_listed_left_and_deleted_with_their_contexts()
    {
        var network = GovNode.Network(24);
        await using var node1 = await GovNode.StartAsync(network, "node1");
        await using var node2 = await GovNode.StartAsync(network, "node2");
        var (created, key2) = await ContextIndexTests.CreateAndJoinAsync(node1, node2);
        var ns = created.Namespace;

        var sub = await node1.Service.CreateGroupAsync(ns, null, "engineering", Ct);
        var nested = await node1.Service.CreateGroupAsync(sub, null, null, Ct);
        var listed = await node1.Service.ListSubgroupsAsync(ns, Ct);
        Assert.Equal([(sub, "engineering", (GroupId?)ns)], listed.Select(g => (g.Id, g.Name, g.Parent)).ToList());
        Assert.Equal(Visibility.Restricted, listed[0].Visibility);
        Assert.Equal([nested], (await node1.Service.ListSubgroupsAsync(sub, Ct)).Select(g => g.Id).ToList());
        await Eventually.TrueAsync(async () => (await node2.Service.ListSubgroupsAsync(ns, Ct)).Count == 1, "node2 sees the subgroup");

        // node2 joins the subgroup as a member, then leaves it: the namespace row stays.
        var agreement2 = await node2.Query(ns, e => e.Identity.Agreement.PublicKey);
        await node1.Service.IssueAsync(ns, new AddMemberOp(sub, key2, GroupRole.Member, agreement2), Ct);
        await Eventually.TrueAsync(async () => await node2.Query(ns, e => e.State.Member(sub, key2) is not null), "node2 is in the subgroup");
        Assert.Equal(key2, await node2.Service.LeaveGroupAsync(sub, Ct));
        Assert.Null(await node2.Query(ns, e => e.State.Member(sub, key2)));
        Assert.NotNull(await node2.Query(ns, e => e.State.Member(ns, key2)));
        Assert.True(node2.Service.Follows(ns));
        await Eventually.TrueAsync(async () => await node1.Query(ns, e => e.State.Member(sub, key2) is null), "node1 sees the subgroup leave");

        // A member without CAN_DELETE_SUBGROUP may not delete it.
        var denied = await Assert.ThrowsAsync<NodeException>(() => node2.Service.DeleteGroupAsync(sub, Ct));
        Assert.Equal(NodeErrorKind.Unauthorized, denied.Kind);

        // Deleting takes the nested group and the contexts registered below it.
        var inNested = ContextId.FromBytes(Enumerable.Repeat((byte)44, 32).ToArray());
        await node1.Service.IssueAsync(ns, new RegisterContextOp(nested, inNested), Ct);
        Assert.True(await node1.Authority.IsGovernedAsync(inNested, Ct));
        await node1.Service.DeleteGroupAsync(sub, Ct);
        Assert.Empty(await node1.Service.ListSubgroupsAsync(ns, Ct));
        Assert.False(await node1.Query(ns, e => e.State.GroupExists(nested)));
        Assert.False(await node1.Authority.IsGovernedAsync(inNested, Ct));
        Assert.Equal(NodeErrorKind.NotFound, (await Assert.ThrowsAsync<NodeException>(() => node1.Service.GetGroupAsync(sub, Ct))).Kind);
        await Eventually.TrueAsync(async () => (await node2.Service.ListSubgroupsAsync(ns, Ct)).Count == 0, "node2 sees the deletion");
    }

    private static Task<GovNode> StartOne(SimulatedNetwork network) => GovNode.StartAsync(network, "node1");
}
