using Mero.Governance;
using Mero.Node.Governance;
using Mero.Node.Replication;
using Mero.Node.Replication.Simulation;
using Xunit;

namespace Mero.Node.Tests.Governance;

/// <summary>
/// Through <see cref="GovernanceService"/>: a leave or delete tells replication to drop the
/// namespace's contexts; reparent, metadata and ownership transfer are replicated and refused
/// for the wrong signer or bad input.
/// </summary>
public sealed class StructureServiceTests
{
    private static readonly CancellationToken Ct = CancellationToken.None;

    private static List<ContextId> Unfollowed(GovNode node)
    {
        var found = new List<ContextId>();
        while (node.Outbox.Reader.TryRead(out var notice))
        {
            if (notice is ReplicationNotice.ContextUnfollowed u)
            {
                found.Add(u.ContextId);
            }
        }

        return found;
    }

    [Fact]
    public async Task Leave_and_delete_stop_following_the_namespace_contexts_on_the_network()
    {
        var network = GovNode.Network(31);
        await using var node1 = await GovNode.StartAsync(network, "node1");
        await using var node2 = await GovNode.StartAsync(network, "node2");
        var (created, _) = await ContextIndexTests.CreateAndJoinAsync(node1, node2);
        await node2.Service.JoinContextAsync(created.Context, Ct);
        Assert.True(await node2.Authority.IsFollowedAsync(created.Context, Ct));
        Assert.Empty(Unfollowed(node2));

        await node2.Service.LeaveNamespaceAsync(created.Namespace, Ct);

        Assert.Equal([created.Context], Unfollowed(node2));
        Assert.False(await node2.Authority.IsFollowedAsync(created.Context, Ct));
        // Still governed, so writes stay refused rather than forking locally.
        Assert.True(await node2.Authority.IsGovernedAsync(created.Context, Ct));

        Assert.True(await node1.Authority.IsFollowedAsync(created.Context, Ct));
        await node1.Service.DeleteNamespaceAsync(created.Namespace, Ct);
        Assert.Equal([created.Context], Unfollowed(node1));
        Assert.False(await node1.Authority.IsFollowedAsync(created.Context, Ct));
    }

    [Fact]
    public async Task Reparent_metadata_and_ownership_replicate_and_refuse_the_wrong_signer()
    {
        var network = GovNode.Network(32);
        await using var node1 = await GovNode.StartAsync(network, "node1");
        await using var node2 = await GovNode.StartAsync(network, "node2");
        var (created, key2) = await ContextIndexTests.CreateAndJoinAsync(node1, node2);
        var ns = created.Namespace;
        var a = await node1.Service.CreateGroupAsync(ns, null, "a", Ct);
        var b = await node1.Service.CreateGroupAsync(ns, null, "b", Ct);

        // Reparent: moved once (replicated), a no-op the second time; root, cycle and a plain member refused.
        Assert.True(await node1.Service.ReparentGroupAsync(a, b, Ct));
        Assert.False(await node1.Service.ReparentGroupAsync(a, b, Ct));
        // node2 may not know b yet when the first check runs: that is "not yet", not a failure.
        await Eventually.TrueAsync(async () => await node2.Query(ns, e => e.State.Children(b).ToList()) is [var only] && only == a, "node2 sees a under b");
        Assert.Equal([a], (await node2.Service.ListSubgroupsAsync(b, Ct)).Select(g => g.Id));
        Assert.Equal(NodeErrorKind.InvalidInput, (await Assert.ThrowsAsync<NodeException>(() => node1.Service.ReparentGroupAsync(ns, b, Ct))).Kind);
        var cycle = await Assert.ThrowsAsync<NodeException>(() => node1.Service.ReparentGroupAsync(b, a, Ct));
        Assert.Contains("ReparentCycle", cycle.Message, StringComparison.Ordinal);
        Assert.Equal(NodeErrorKind.Unauthorized, (await Assert.ThrowsAsync<NodeException>(() => node2.Service.ReparentGroupAsync(a, ns, Ct))).Kind);

        // Metadata: set, merged name, replicated; a member without CAN_MANAGE_METADATA is refused, but may describe itself.
        await node1.Service.SetMetadataAsync(b, MetadataTarget.Group, [], "Bee", new Dictionary<string, string> { ["tier"] = "gold" }, Ct);
        var kept = await node1.Service.SetMetadataAsync(b, MetadataTarget.Group, [], null, new Dictionary<string, string> { ["tier"] = "silver" }, Ct);
        Assert.Equal("Bee", kept.Name);
        await Eventually.TrueAsync(async () => (await node2.Service.GetMetadataAsync(b, MetadataTarget.Group, [], Ct))?.Data.GetValueOrDefault("tier") == "silver", "node2 sees the metadata");
        Assert.Equal("Bee", (await node2.Service.GetMetadataAsync(b, MetadataTarget.Group, [], Ct))!.Name);
        Assert.Null(await node1.Service.GetMetadataAsync(a, MetadataTarget.Group, [], Ct));
        Assert.Equal(NodeErrorKind.NotFound, (await Assert.ThrowsAsync<NodeException>(() => node1.Service.GetMetadataAsync(b, MetadataTarget.Member, key2.ToArray(), Ct))).Kind);
        Assert.Equal(NodeErrorKind.NotFound, (await Assert.ThrowsAsync<NodeException>(() => node1.Service.GetMetadataAsync(b, MetadataTarget.Context, created.Context.ToArray(), Ct))).Kind);
        Assert.Equal(NodeErrorKind.Unauthorized, (await Assert.ThrowsAsync<NodeException>(() =>
            node2.Service.SetMetadataAsync(ns, MetadataTarget.Group, [], "mine", new Dictionary<string, string>(), Ct))).Kind);
        await node2.Service.SetMetadataAsync(ns, MetadataTarget.Member, key2.ToArray(), "node two", new Dictionary<string, string>(), Ct);
        Assert.Equal("node two", (await node2.Service.GetMetadataAsync(ns, MetadataTarget.Member, key2.ToArray(), Ct))!.Name);
        var big = new Dictionary<string, string> { ["blob"] = new string('x', GovernanceDefaults.MaxMetadataBytes) };
        Assert.Equal(NodeErrorKind.InvalidInput, (await Assert.ThrowsAsync<NodeException>(() => node1.Service.SetMetadataAsync(b, MetadataTarget.Group, [], null, big, Ct))).Kind);
        Assert.Equal(NodeErrorKind.InvalidInput, (await Assert.ThrowsAsync<NodeException>(() => node1.Service.SetMetadataAsync(b, MetadataTarget.Group, [], " ", big, Ct))).Kind);

        // Ownership: node2 (not the owner) may not take it; node1 hands the namespace to node2, both nodes agree.
        Assert.Equal(NodeErrorKind.Unauthorized, (await Assert.ThrowsAsync<NodeException>(() => node2.Service.TransferOwnershipAsync(ns, key2, Ct))).Kind);
        var key1 = await node1.Service.OwnerAsync(ns, Ct);
        await node1.Service.TransferOwnershipAsync(ns, key2, Ct);
        Assert.Equal(key2, await node1.Service.OwnerAsync(ns, Ct));
        await Eventually.TrueAsync(async () => await node2.Service.OwnerAsync(ns, Ct) == key2, "node2 sees itself as owner");
        Assert.NotEqual(key1, key2);
    }
}
