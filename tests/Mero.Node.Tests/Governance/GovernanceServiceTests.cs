using Mero.Governance;
using Mero.Node.Governance;
using Mero.Node.Replication;
using Mero.Node.Replication.Simulation;
using Mero.Node.Replication.Wire;
using Xunit;

namespace Mero.Node.Tests.Governance;

/// <summary>Two and three nodes' governance services over the simulated network: the namespace flow of issue #7.</summary>
public sealed class GovernanceServiceTests
{
    private static readonly CancellationToken Ct = CancellationToken.None;
    private static readonly ApplicationId App = ApplicationId.FromBytes(Enumerable.Repeat((byte)7, 32).ToArray());

    private static SimulatedNetwork Network(int seed = 1, double drop = 0) =>
        new(new SimulationOptions { Seed = seed, DropRate = drop, MinDelay = TimeSpan.FromMilliseconds(1), MaxDelay = TimeSpan.FromMilliseconds(4) }, TimeProvider.System);

    private static async Task<(CreatedNamespace Created, PublicKey Joiner)> CreateAndJoinAsync(GovNode founder, GovNode joiner)
    {
        var created = await founder.Service.CreateNamespaceAsync(App, null, "team", Ct);
        var invitation = await founder.Service.CreateInvitationAsync(created.Namespace, GroupRole.Member, null, Ct);
        // As meroctl prints it: {"data":{"invitation":{...}}}.
        var printed = $"{{\"data\":{{\"invitation\":{invitation.ToJson()}}}}}";
        var joinerKey = await joiner.Service.JoinNamespaceAsync(created.Namespace, printed, Ct);
        return (created, joinerKey);
    }

    [Fact]
    public async Task Create_invite_join_from_empty_delivers_the_key_and_join_context_converges()
    {
        var network = Network();
        await using var node1 = await GovNode.StartAsync(network, "node1");
        await using var node2 = await GovNode.StartAsync(network, "node2");

        var (created, joinerKey) = await CreateAndJoinAsync(node1, node2);
        var ns = created.Namespace;

        // The context member key is the founder's governance key, and the founder has joined it.
        Assert.Equal(created.MemberPublicKey, await node1.Service.IdentityAsync(ns, Ct));
        Assert.Equal([created.MemberPublicKey], await node1.Authority.MembersAsync(created.Context, Ct));
        Assert.True(await node2.Query(ns, e => e.HoldsKeyFor(ns)));
        Assert.Equal(GroupRole.Member, (await node2.Query(ns, e => e.State.Member(ns, joinerKey)))!.Role);

        // group join-context on node2: JoinContext op, and the context recorded with the namespace's app.
        var (context, member) = await node2.Service.JoinContextAsync(created.Context, Ct);
        Assert.Equal((created.Context, joinerKey), (context, member));
        Assert.Equal((App, joinerKey), node2.Contexts.Joined[created.Context]);

        await Eventually.TrueAsync(async () => (await node1.Authority.MembersAsync(created.Context, Ct)).Contains(joinerKey), "node1 sees node2 join the context");
        await Eventually.TrueAsync(async () => await node1.Query(ns, e => e.StateHash) == await node2.Query(ns, e => e.StateHash), "state hashes converge");
        Assert.Equal(await node1.Query(ns, e => e.Heads.Order().ToList()), await node2.Query(ns, e => e.Heads.Order().ToList()));

        // Both nodes derive the same context key; the authority allows both members to write.
        var key1 = await node1.Authority.CurrentKeyAsync(created.Context, Ct);
        var key2 = await node2.Authority.CurrentKeyAsync(created.Context, Ct);
        Assert.NotNull(key1);
        Assert.Equal(key1!.KeyId, key2!.KeyId);
        Assert.Equal(key1.Key, key2.Key);
        Assert.Equal(key1.Key, (await node2.Authority.KeyAsync(created.Context, key1.KeyId, Ct))!.Key);
        Assert.Equal(WriteVerdict.Allowed, await node1.Authority.AuthorizeWriteAsync(created.Context, joinerKey, null, Ct));
        Assert.Equal(WriteVerdict.Allowed, await node2.Authority.AuthorizeWriteAsync(created.Context, created.MemberPublicKey, await node2.Authority.GovernanceHeadsAsync(created.Context, Ct), Ct));
        Assert.True(await node2.Authority.IsGovernedAsync(created.Context, Ct));
        Assert.False(await node2.Authority.IsGovernedAsync(ContextId.FromBytes(new byte[32]), Ct));

        // Heads this node has never seen cannot be judged: Unknown, not a guess.
        Assert.Equal(WriteVerdict.Unknown, await node1.Authority.AuthorizeWriteAsync(created.Context, joinerKey, [Hash.FromBytes(Enumerable.Repeat((byte)9, 32).ToArray())], Ct));

        // A stranger who never joined is not a member.
        Assert.Equal(WriteVerdict.NotMember, await node1.Authority.AuthorizeWriteAsync(created.Context, PublicKey.FromBytes(Enumerable.Repeat((byte)3, 32).ToArray()), null, Ct));
    }

    [Fact]
    public async Task Set_role_and_set_caps_propagate_and_read_only_is_judged_at_the_delta_cut()
    {
        var network = Network(seed: 2);
        await using var node1 = await GovNode.StartAsync(network, "node1");
        await using var node2 = await GovNode.StartAsync(network, "node2");
        var (created, joinerKey) = await CreateAndJoinAsync(node1, node2);
        var ns = created.Namespace;
        await node2.Service.JoinContextAsync(created.Context, Ct);
        await Eventually.TrueAsync(async () => (await node1.Authority.MembersAsync(created.Context, Ct)).Contains(joinerKey), "node1 sees the join");
        var beforeDemotion = await node1.Authority.GovernanceHeadsAsync(created.Context, Ct);

        await node1.Service.SetCapabilitiesAsync(ns, joinerKey, Capabilities.CanCreateContext | Capabilities.CanInviteMembers, Ct);
        await node1.Service.SetRoleAsync(ns, joinerKey, GroupRole.ReadOnly, Ct);

        await Eventually.TrueAsync(async () => await node2.Service.GetCapabilitiesAsync(ns, joinerKey, Ct) == (Capabilities.CanCreateContext | Capabilities.CanInviteMembers), "node2 sees its new capabilities");
        await Eventually.TrueAsync(async () => (await node2.Service.ListMembersAsync(ns, Ct)).Single(m => m.Identity == joinerKey).Role == GroupRole.ReadOnly, "node2 sees its ReadOnly role");
        Assert.Equal(WriteVerdict.ReadOnly, await node1.Authority.AuthorizeWriteAsync(created.Context, joinerKey, null, Ct));
        Assert.Equal(WriteVerdict.ReadOnly, await node2.Authority.AuthorizeWriteAsync(created.Context, joinerKey, null, Ct));

        // A delta stamped before the demotion was a legitimate write at its cut.
        Assert.Equal(WriteVerdict.Allowed, await node1.Authority.AuthorizeWriteAsync(created.Context, joinerKey, beforeDemotion, Ct));

        // The ReadOnly member's own governance writes are refused by its node before they leave it.
        var refused = await Assert.ThrowsAsync<NodeException>(() => node2.Service.SetCapabilitiesAsync(ns, created.MemberPublicKey, Capabilities.None, Ct));
        Assert.Equal(NodeErrorKind.Unauthorized, refused.Kind);
    }

    [Fact]
    public async Task Removal_rotates_the_key_and_the_removed_node_gets_no_new_key_nor_later_ops()
    {
        var network = Network(seed: 3);
        await using var node1 = await GovNode.StartAsync(network, "node1");
        await using var node2 = await GovNode.StartAsync(network, "node2");
        await using var node3 = await GovNode.StartAsync(network, "node3");
        var (created, key2) = await CreateAndJoinAsync(node1, node2);
        var ns = created.Namespace;
        var invitation = await node1.Service.CreateInvitationAsync(ns, GroupRole.Member, null, Ct);
        var key3 = await node3.Service.JoinNamespaceAsync(ns, invitation.ToJson(), Ct);
        await node3.Service.JoinContextAsync(created.Context, Ct);
        await Eventually.TrueAsync(async () => (await node1.Authority.MembersAsync(created.Context, Ct)).Contains(key3), "node1 sees node3 join the context");
        var oldKey = (await node1.Authority.CurrentKeyAsync(created.Context, Ct))!;
        Assert.Equal(oldKey.KeyId, (await node3.Authority.CurrentKeyAsync(created.Context, Ct))!.KeyId);

        await node1.Service.RemoveMembersAsync(ns, [key3], Ct);
        var newKey = (await node1.Authority.CurrentKeyAsync(created.Context, Ct))!;
        Assert.NotEqual(oldKey.KeyId, newKey.KeyId);
        await Eventually.TrueAsync(async () => (await node2.Authority.CurrentKeyAsync(created.Context, Ct))!.KeyId == newKey.KeyId, "node2 receives the rotated key");
        Assert.Equal(newKey.Key, (await node2.Authority.CurrentKeyAsync(created.Context, Ct))!.Key);

        // node3 saw its removal (sealed under the old key) but holds nothing of the new key.
        await Eventually.TrueAsync(async () => await node3.Query(ns, e => e.State.Member(ns, key3)) is null, "node3 applies its own removal");
        Assert.Equal(oldKey.KeyId, (await node3.Authority.CurrentKeyAsync(created.Context, Ct))!.KeyId);
        Assert.Null(await node3.Authority.KeyAsync(created.Context, newKey.KeyId, Ct));
        Assert.Equal(WriteVerdict.NotMember, await node1.Authority.AuthorizeWriteAsync(created.Context, key3, null, Ct));
        Assert.DoesNotContain(key3, await node1.Authority.MembersAsync(created.Context, Ct));

        // A later op sealed under the new key reaches node2; node3 cannot open it (it stays pending).
        await node1.Service.IssueAsync(ns, new SetGroupAliasOp(ns, "after-removal"), Ct);
        await Eventually.TrueAsync(async () => await node2.Query(ns, e => e.State.GroupAlias(ns)) == "after-removal", "node2 applies the op after the removal");
        await Eventually.TrueAsync(async () => await node3.Query(ns, e => e.PendingCount) > 0, "node3 holds the op it cannot open");
        Assert.Equal("team", await node3.Query(ns, e => e.State.GroupAlias(ns)));
    }

    [Fact]
    public async Task A_restarted_node_reloads_its_membership_and_catches_up_what_it_missed()
    {
        var network = Network(seed: 4);
        await using var node1 = await GovNode.StartAsync(network, "node1");
        var node2 = await GovNode.StartAsync(network, "node2");
        try
        {
            var (created, key2) = await CreateAndJoinAsync(node1, node2);
            var ns = created.Namespace;
            await node2.Service.JoinContextAsync(created.Context, Ct);
            await Eventually.TrueAsync(async () => (await node1.Authority.MembersAsync(created.Context, Ct)).Contains(key2), "node1 sees the join");

            await node2.StopAsync();
            await node1.Service.IssueAsync(ns, new SetGroupAliasOp(ns, "while-away"), Ct);
            await node1.Service.SetCapabilitiesAsync(ns, key2, Capabilities.CanCreateContext, Ct);

            await node2.StartAsync();
            Assert.Equal([ns], node2.Service.Namespaces);
            Assert.Equal(key2, await node2.Service.IdentityAsync(ns, Ct));
            Assert.Contains(key2, await node2.Authority.MembersAsync(created.Context, Ct));

            // Missed ops arrive through the founder's heartbeat and catch-up.
            await Eventually.TrueAsync(async () => await node2.Query(ns, e => e.State.GroupAlias(ns)) == "while-away", "node2 catches up the alias");
            await Eventually.TrueAsync(async () => await node2.Service.GetCapabilitiesAsync(ns, key2, Ct) == Capabilities.CanCreateContext, "node2 catches up its capabilities");
            Assert.Equal(await node1.Query(ns, e => e.StateHash), await node2.Query(ns, e => e.StateHash));
        }
        finally
        {
            await node2.DisposeAsync();
        }
    }

    [Fact]
    public async Task Join_completes_over_a_lossy_network()
    {
        var network = Network(seed: 5, drop: 0.4);
        await using var node1 = await GovNode.StartAsync(network, "node1");
        await using var node2 = await GovNode.StartAsync(network, "node2");
        var (created, key2) = await CreateAndJoinAsync(node1, node2);
        Assert.True(await node2.Query(created.Namespace, e => e.HoldsKeyFor(created.Namespace)));
        await Eventually.TrueAsync(async () => await node1.Query(created.Namespace, e => e.StateHash) == await node2.Query(created.Namespace, e => e.StateHash), "state hashes converge despite 40% gossip loss");
        Assert.Equal(GroupRole.Member, (await node1.Query(created.Namespace, e => e.State.Member(created.Namespace, key2)))!.Role);
    }

    [Fact]
    public async Task Bad_input_is_refused_with_clear_errors_and_changes_nothing()
    {
        var network = Network(seed: 6);
        await using var node1 = await GovNode.StartAsync(network, "node1");
        await using var node2 = await GovNode.StartAsync(network, "node2");
        var created = await node1.Service.CreateNamespaceAsync(App, null, null, Ct);
        var ns = created.Namespace;
        var invitation = await node1.Service.CreateInvitationAsync(ns, GroupRole.Member, null, Ct);
        var other = GroupId.FromBytes(Enumerable.Repeat((byte)1, 32).ToArray());

        var wrongNs = await Assert.ThrowsAsync<NodeException>(() => node2.Service.JoinNamespaceAsync(other, invitation.ToJson(), Ct));
        Assert.Equal(NodeErrorKind.InvalidInput, wrongNs.Kind);
        var garbage = await Assert.ThrowsAsync<NodeException>(() => node2.Service.JoinNamespaceAsync(ns, "{not json", Ct));
        Assert.Equal(NodeErrorKind.InvalidInput, garbage.Kind);
        var forged = invitation with { Role = GroupRole.Admin };
        var bad = await Assert.ThrowsAsync<NodeException>(() => node2.Service.JoinNamespaceAsync(ns, forged.ToJson(), Ct));
        Assert.Contains("signature", bad.Message, StringComparison.Ordinal);
        Assert.Empty(node2.Service.Namespaces);

        var unknownContext = await Assert.ThrowsAsync<NodeException>(() => node2.Service.JoinContextAsync(created.Context, Ct));
        Assert.Equal(NodeErrorKind.NotFound, unknownContext.Kind);
        var badCaps = await Assert.ThrowsAsync<NodeException>(() => node1.Service.SetCapabilitiesAsync(ns, created.MemberPublicKey, (Capabilities)(1u << 12), Ct));
        Assert.Equal(NodeErrorKind.InvalidInput, badCaps.Kind);
        var owner = await Assert.ThrowsAsync<NodeException>(() => node1.Service.RemoveMembersAsync(ns, [created.MemberPublicKey], Ct));
        Assert.Equal(NodeErrorKind.Unauthorized, owner.Kind);

        // A delta whose header does not match its envelope, and garbage on the topic, are dropped.
        var heads = await node1.Query(ns, e => e.Heads.ToList());
        var hash = await node1.Query(ns, e => e.StateHash);
        var genesis = await node1.Query(ns, e => e.AppliedOps.First());
        var sender = network.AddPeer("mallory");
        await sender.SubscribeAsync(GovernanceService.Topic(ns), Ct);
        await sender.PublishAsync(GovernanceService.Topic(ns), new NamespaceGovernanceDelta(ns, Hash.FromBytes(new byte[32]), genesis.Parents, genesis.Wire).Encode(), Ct);
        await sender.PublishAsync(GovernanceService.Topic(ns), new byte[] { 2, 1, 2, 3 }, Ct);
        await sender.PublishAsync(GovernanceService.Topic(ns), new NamespaceStateHeartbeat(other, heads).Encode(), Ct);

        // The sync protocol answers malformed and foreign requests with an error, not a crash.
        var malformed = GovernanceSyncResponse.Decode(await sender.RequestAsync("node1", GovernanceSyncProtocol.Id, new byte[] { 9, 9 }, Ct));
        Assert.IsType<GovernanceSyncError>(malformed);
        var foreign = GovernanceSyncResponse.Decode(await sender.RequestAsync("node1", GovernanceSyncProtocol.Id, new GovernanceHeadsRequest(other).Encode(), Ct));
        Assert.Contains("does not follow", Assert.IsType<GovernanceSyncError>(foreign).Reason, StringComparison.Ordinal);
        var served = GovernanceSyncResponse.Decode(await sender.RequestAsync("node1", GovernanceSyncProtocol.Id, new GovernanceOpsRequest(ns, [genesis.Id, Hash.FromBytes(new byte[32])]).Encode(), Ct));
        Assert.Equal([genesis.Wire], Assert.IsType<GovernanceOpsResponse>(served).Envelopes);

        await Task.Delay(200);
        Assert.Equal(hash, await node1.Query(ns, e => e.StateHash));
        Assert.Equal(heads, await node1.Query(ns, e => e.Heads.ToList()));
    }
}
