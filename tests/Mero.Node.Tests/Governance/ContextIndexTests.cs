using Mero.Governance;
using Mero.Node.Governance;
using Mero.Node.Replication;
using Mero.Node.Replication.Simulation;
using Xunit;

namespace Mero.Node.Tests.Governance;

/// <summary>The context → namespace index behind <see cref="GovernanceContextAuthority"/>.</summary>
public sealed class ContextIndexTests
{
    private static readonly CancellationToken Ct = CancellationToken.None;
    private static readonly ApplicationId App = ApplicationId.FromBytes(Enumerable.Repeat((byte)7, 32).ToArray());

    private static ContextId RandomContext() => ContextId.FromBytes(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

    internal static async Task<(CreatedNamespace Created, PublicKey Joiner)> CreateAndJoinAsync(GovNode founder, GovNode joiner, GroupRole role = GroupRole.Member)
    {
        var created = await founder.Service.CreateNamespaceAsync(App, null, "team", Ct);
        var invitation = await founder.Service.CreateInvitationAsync(created.Namespace, role, null, Ct);
        var joinerKey = await joiner.Service.JoinNamespaceAsync(created.Namespace, invitation.ToJson(), Ct);
        return (created, joinerKey);
    }

    [Fact]
    public async Task A_context_registered_later_is_found_on_both_nodes_and_a_local_context_is_not()
    {
        var network = GovNode.Network(11);
        await using var node1 = await GovNode.StartAsync(network, "node1");
        await using var node2 = await GovNode.StartAsync(network, "node2");
        var (created, _) = await CreateAndJoinAsync(node1, node2);
        var ns = created.Namespace;

        // The namespace's own context is indexed on both nodes (node2 learned it through catch-up).
        Assert.Equal(ns, node1.Service.NamespaceOfContext(created.Context));
        Assert.Equal(ns, node2.Service.NamespaceOfContext(created.Context));

        // A context registered after node2 joined: the founder finds it at once, node2 once the op arrives by gossip.
        var later = RandomContext();
        Assert.False(await node2.Authority.IsGovernedAsync(later, Ct));
        await node1.Service.IssueAsync(ns, new RegisterContextOp(ns, later), Ct);
        Assert.True(await node1.Authority.IsGovernedAsync(later, Ct));
        await Eventually.TrueAsync(async () => await node2.Authority.IsGovernedAsync(later, Ct), "node2 indexes the context registered later");
        Assert.Equal(ns, node2.Service.NamespaceOfContext(later));

        // A context in a subgroup resolves to the namespace too.
        var sub = GroupId.FromBytes(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        await node1.Service.CreateGroupAsync(ns, sub, null, Ct);
        var inSub = RandomContext();
        await node1.Service.IssueAsync(ns, new RegisterContextOp(sub, inSub), Ct);
        Assert.Equal(ns, node1.Service.NamespaceOfContext(inSub));

        // A local-only context is not governed: no namespace, NotMember, no key, no members.
        var local = RandomContext();
        Assert.False(await node1.Authority.IsGovernedAsync(local, Ct));
        Assert.Null(node1.Service.NamespaceOfContext(local));
        Assert.Equal(WriteVerdict.NotMember, await node1.Authority.AuthorizeWriteAsync(local, created.MemberPublicKey, null, Ct));
        Assert.Null(await node1.Authority.CurrentKeyAsync(local, Ct));
        Assert.Empty(await node1.Authority.MembersAsync(local, Ct));

        // Detaching removes the entry (the index follows the folded state, not only additions).
        await node1.Service.IssueAsync(ns, new DetachContextOp(ns, later), Ct);
        Assert.False(await node1.Authority.IsGovernedAsync(later, Ct));
        await Eventually.TrueAsync(async () => !await node2.Authority.IsGovernedAsync(later, Ct), "node2 drops the detached context");
    }

    [Fact]
    public async Task The_index_is_rebuilt_from_the_store_after_a_restart()
    {
        var network = GovNode.Network(12);
        var node1 = await GovNode.StartAsync(network, "node1");
        try
        {
            var created = await node1.Service.CreateNamespaceAsync(App, null, "solo", Ct);
            var later = RandomContext();
            await node1.Service.IssueAsync(created.Namespace, new RegisterContextOp(created.Namespace, later), Ct);

            await node1.StopAsync();
            await node1.StartAsync();

            Assert.True(await node1.Authority.IsGovernedAsync(created.Context, Ct));
            Assert.True(await node1.Authority.IsGovernedAsync(later, Ct));
            Assert.Equal(created.Namespace, node1.Service.NamespaceOfContext(later));
            Assert.False(await node1.Authority.IsGovernedAsync(RandomContext(), Ct));
        }
        finally
        {
            await node1.DisposeAsync();
        }
    }
}
