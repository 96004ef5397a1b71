using System.Security.Cryptography;
using Mero.Governance;
using Mero.Node.Governance;
using Xunit;

namespace Mero.Node.Tests.Governance;

/// <summary>Group settings, member adds, detach, explicit sync and the lookups, through <see cref="GovernanceService"/>.</summary>
public sealed class SettingsServiceTests
{
    private static readonly CancellationToken Ct = CancellationToken.None;

    // The application ContextIndexTests.CreateAndJoinAsync creates its namespaces with.
    private static readonly ApplicationId App = ApplicationId.FromBytes(Enumerable.Repeat((byte)7, 32).ToArray());

    [Fact]
    public async Task Settings_member_add_and_detach_reach_the_peer_by_gossip()
    {
        var network = GovNode.Network(71);
        await using var node1 = await GovNode.StartAsync(network, "node1");
        await using var node2 = await GovNode.StartAsync(network, "node2");
        var (created, key2) = await ContextIndexTests.CreateAndJoinAsync(node1, node2);
        var ns = created.Namespace;
        var sub = await node1.Service.CreateGroupAsync(ns, null, "eng", Ct);

        // Add node2 (a namespace member) to the subgroup as ReadOnly: node2 sees its row and gets the key.
        await node1.Service.AddMembersAsync(sub, [new MemberToAdd(key2, GroupRole.ReadOnly)], Ct);
        await Eventually.TrueAsync(async () => await node2.Query(ns, e => e.State.Member(sub, key2)?.Role == GroupRole.ReadOnly && e.HoldsKeyFor(sub)), "node2 is a ReadOnly member of the subgroup");

        var caps = Capabilities.CanCreateContext | Capabilities.CanManageMetadata;
        await node1.Service.SetDefaultCapabilitiesAsync(sub, caps, Ct);
        await node1.Service.SetSubgroupVisibilityAsync(sub, Visibility.Open, Ct);
        await Eventually.TrueAsync(
            async () => await node2.Query(ns, e => e.State.DefaultCapabilities(sub) == caps && e.State.Visibility(sub) == Visibility.Open),
            "node2 sees the new defaults and visibility");

        // PATCH-style update: several settings at once, answered with the group after the change.
        var view = await node1.Service.UpdateGroupSettingsAsync(sub, new GroupSettingsUpdate(Capabilities.None, Visibility.Restricted, Visibility.Open, "platform"), Ct);
        Assert.Equal((Capabilities.None, Visibility.Restricted, "platform"), (view.DefaultCapabilities, view.Visibility, view.Name));
        await Eventually.TrueAsync(
            async () => await node2.Query(ns, e => e.State.GroupAlias(sub) == "platform" && e.State.DefaultVisibility(sub) == Visibility.Open && e.State.Visibility(sub) == Visibility.Restricted),
            "node2 sees the patched settings");

        // Detach: the context leaves the group on both nodes; the lookup follows.
        var context = RandomContext();
        await node1.Service.IssueAsync(ns, new RegisterContextOp(sub, context), Ct);
        Assert.Equal(sub, await node1.Service.GroupOfContextAsync(context, Ct));
        await node1.Service.DetachContextAsync(sub, context, Ct);
        Assert.Null(await node1.Service.GroupOfContextAsync(context, Ct));
        await Eventually.TrueAsync(async () => await node2.Query(ns, e => e.State.Contexts(sub).Count() == 0 && e.State.ContextGroup(context) is null), "node2 sees the detach");
        Assert.Equal(ns, await node2.Service.GroupOfContextAsync(created.Context, Ct));
        Assert.Null(await node2.Service.GroupOfContextAsync(RandomContext(), Ct));

        // Explicit sync: node2 asks node1, fetches nothing new, and ends on the same state hash.
        var synced = await node2.Service.SyncGroupAsync(sub, Ct);
        Assert.Equal((1, 0), (synced.PeersAsked, synced.PeersFailed));
        Assert.Equal(await node1.Query(ns, e => e.StateHash), synced.Group.StateHash);

        // Namespaces by application.
        Assert.Equal([ns], (await node2.Service.ListNamespacesForApplicationAsync(App, Ct)).Select(v => v.Id));
        Assert.Empty(await node2.Service.ListNamespacesForApplicationAsync(ApplicationId.FromBytes(RandomNumberGenerator.GetBytes(32)), Ct));
    }

    [Fact]
    public async Task Sync_fetches_what_gossip_lost()
    {
        var network = GovNode.Network(72);
        await using var node1 = await GovNode.StartAsync(network, "node1");
        await using var node2 = await GovNode.StartAsync(network, "node2");
        var (created, _) = await ContextIndexTests.CreateAndJoinAsync(node1, node2);
        var ns = created.Namespace;

        // The gossip of node1's change is lost to node2 (partitioned); right after healing, an
        // explicit sync returns only once node2 holds the op.
        network.Partition(["node1"], ["node2"]);
        const Capabilities changed = Capabilities.CanDeleteSubgroup | Capabilities.CanManageMetadata;
        await node1.Service.SetDefaultCapabilitiesAsync(ns, changed, Ct);
        await Task.Delay(300);
        Assert.NotEqual(changed, await node2.Query(ns, e => e.State.DefaultCapabilities(ns)));
        network.Heal();
        var synced = await node2.Service.SyncGroupAsync(ns, Ct);

        Assert.Equal((1, 0), (synced.PeersAsked, synced.PeersFailed));
        Assert.Equal(changed, await node2.Query(ns, e => e.State.DefaultCapabilities(ns)));
        Assert.Equal(await node1.Query(ns, e => e.StateHash), await node2.Query(ns, e => e.StateHash));
    }

    [Fact]
    public async Task Refusals_are_clear_and_change_nothing()
    {
        var network = GovNode.Network(73);
        await using var node1 = await GovNode.StartAsync(network, "node1");
        await using var node2 = await GovNode.StartAsync(network, "node2");
        var (created, key2) = await ContextIndexTests.CreateAndJoinAsync(node1, node2);
        var ns = created.Namespace;
        var sub = await node1.Service.CreateGroupAsync(ns, null, "eng", Ct);
        await Eventually.TrueAsync(async () => await node2.Query(ns, e => e.State.GroupExists(sub)), "node2 sees the subgroup");
        var heads1 = await node1.Query(ns, e => e.Heads.Order().ToList());
        var defaults = await node1.Query(ns, e => e.State.DefaultCapabilities(sub));
        var heads2 = await node2.Query(ns, e => e.Heads.Order().ToList());

        // A plain member (node2) may not change settings, add members or detach.
        await AssertRefused(NodeErrorKind.Unauthorized, () => node2.Service.SetDefaultCapabilitiesAsync(sub, Capabilities.All, Ct));
        await AssertRefused(NodeErrorKind.Unauthorized, () => node2.Service.UpdateGroupSettingsAsync(sub, new GroupSettingsUpdate(Capabilities.All, Name: "mine"), Ct));
        await AssertRefused(NodeErrorKind.Unauthorized, () => node2.Service.AddMembersAsync(sub, [new MemberToAdd(key2, GroupRole.Member)], Ct));
        await AssertRefused(NodeErrorKind.Unauthorized, () => node2.Service.DetachContextAsync(ns, created.Context, Ct));
        Assert.Equal(heads2, await node2.Query(ns, e => e.Heads.Order().ToList()));

        // Unknown member (not in the namespace): nothing added, even for the valid entry before it.
        var stranger = PublicKey.FromBytes(RandomNumberGenerator.GetBytes(32));
        var unknown = await AssertRefused(NodeErrorKind.NotFound, () => node1.Service.AddMembersAsync(sub, [new MemberToAdd(key2, GroupRole.Member), new MemberToAdd(stranger, GroupRole.Member)], Ct));
        Assert.Contains("invite it to the namespace first", unknown.Message, StringComparison.Ordinal);
        Assert.Null(await node1.Query(ns, e => e.State.Member(sub, key2)));
        await AssertRefused(NodeErrorKind.InvalidInput, () => node1.Service.AddMembersAsync(sub, [new MemberToAdd(key2, GroupRole.Member), new MemberToAdd(key2, GroupRole.Admin)], Ct));
        await AssertRefused(NodeErrorKind.InvalidInput, () => node1.Service.AddMembersAsync(sub, [], Ct));
        await AssertRefused(NodeErrorKind.InvalidInput, () => node1.Service.AddMembersAsync(ns, [new MemberToAdd(key2, GroupRole.Member)], Ct));

        // Unknown group / context, bad bits, empty update, visibility of the root.
        var noGroup = GroupId.FromBytes(RandomNumberGenerator.GetBytes(32));
        await AssertRefused(NodeErrorKind.NotFound, () => node1.Service.SetSubgroupVisibilityAsync(noGroup, Visibility.Open, Ct));
        await AssertRefused(NodeErrorKind.NotFound, () => node1.Service.SyncGroupAsync(noGroup, Ct));
        await AssertRefused(NodeErrorKind.NotFound, () => node1.Service.DetachContextAsync(sub, RandomContext(), Ct));
        await AssertRefused(NodeErrorKind.NotFound, () => node1.Service.DetachContextAsync(sub, created.Context, Ct));
        await AssertRefused(NodeErrorKind.InvalidInput, () => node1.Service.SetDefaultCapabilitiesAsync(sub, (Capabilities)(1u << 9), Ct));
        await AssertRefused(NodeErrorKind.InvalidInput, () => node1.Service.UpdateGroupSettingsAsync(sub, new GroupSettingsUpdate(), Ct));
        await AssertRefused(NodeErrorKind.InvalidInput, () => node1.Service.SetSubgroupVisibilityAsync(ns, Visibility.Open, Ct));
        await AssertRefused(NodeErrorKind.InvalidInput, () => node1.Service.UpdateGroupSettingsAsync(ns, new GroupSettingsUpdate(Capabilities.None, Visibility.Open), Ct));

        Assert.Equal(heads1, await node1.Query(ns, e => e.Heads.Order().ToList()));
        Assert.Equal(defaults, await node1.Query(ns, e => e.State.DefaultCapabilities(sub)));
        Assert.Null(await node1.Query(ns, e => e.State.GroupAlias(sub) == "mine" ? "renamed" : null));
        Assert.Equal(ns, await node1.Service.GroupOfContextAsync(created.Context, Ct));
    }

    private static async Task<NodeException> AssertRefused(NodeErrorKind kind, Func<Task> action)
    {
        var e = await Assert.ThrowsAsync<NodeException>(action);
        Assert.True(kind == e.Kind, $"expected {kind}, got {e.Kind}: {e.Message}");
        return e;
    }

    private static ContextId RandomContext() => ContextId.FromBytes(RandomNumberGenerator.GetBytes(32));
}
