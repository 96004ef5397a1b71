using Mero.Store;
using Xunit;

namespace Mero.Governance.Tests;

/// <summary>Two nodes' actors: invitation out of band, claim, key delivery by the inviter, convergence.</summary>
public sealed class ActorTests
{
    [Fact]
    public async Task Invitation_claim_brings_a_new_node_to_the_same_state()
    {
        var ns = GroupId.FromBytes(Enumerable.Repeat((byte)5, 32).ToArray());
        var dirA = Path.Combine(Path.GetTempPath(), "mero-gov-a-" + Guid.NewGuid().ToString("N"));
        var dirB = Path.Combine(Path.GetTempPath(), "mero-gov-b-" + Guid.NewGuid().ToString("N"));
        using var storeA = MeroStore.Open(dirA);
        using var storeB = MeroStore.Open(dirB);
        await using var a = new GovernanceActor(storeA);
        await using var b = new GovernanceActor(storeB);

        Assert.Equal(ApplyStatus.Applied, (await a.CreateNamespaceAsync(ns, ApplicationId.FromBytes(new byte[32]))).Status);
        var subgroup = GroupId.FromBytes(Enumerable.Repeat((byte)6, 32).ToArray());
        var created = await a.IssueAsync(ns, new CreateGroupOp(subgroup, ns, Visibility.Open, await a.QueryAsync(ns, e => e.Identity.Agreement.PublicKey), []));
        Assert.Equal(ApplyStatus.Applied, created.Result.Status);
        var invitationJson = (await a.CreateInvitationAsync(ns, ns, GroupRole.Member)).ToJson();
        var heads = await a.QueryAsync(ns, e => e.Heads.ToList());

        var joinerKey = await b.OpenNamespaceAsync(ns);
        var claim = await b.ClaimInvitationAsync(invitationJson, heads);
        Assert.Equal(ApplyStatus.Pending, claim.Result.Status);

        var (claimed, deliveries) = await a.ReceiveAsync(claim.Published[0].Wire);
        Assert.Equal(ApplyStatus.Applied, claimed.Status);
        Assert.NotEmpty(deliveries);

        foreach (var op in await a.QueryAsync(ns, e => e.AppliedOps.ToList()))
        {
            var (result, _) = await b.ReceiveAsync(op.Wire);
            Assert.NotEqual(ApplyStatus.Rejected, result.Status);
        }

        Assert.Equal(0, await b.QueryAsync(ns, e => e.PendingCount));
        Assert.Equal(await a.QueryAsync(ns, e => e.StateHash), await b.QueryAsync(ns, e => e.StateHash));
        Assert.True(await b.QueryAsync(ns, e => e.HoldsKeyFor(subgroup)));
        Assert.Equal(GroupRole.Member, (await b.QueryAsync(ns, e => e.State.Member(ns, joinerKey)))!.Role);

        // The same invitation cannot be claimed twice.
        var again = await b.ClaimInvitationAsync(invitationJson, await b.QueryAsync(ns, e => e.Heads.ToList()));
        Assert.Equal(RejectCode.InvitationUsed, again.Result.Rejection?.Code);
    }

    [Fact]
    public async Task Concurrent_issues_are_group_committed_and_all_applied()
    {
        var ns = GroupId.FromBytes(Enumerable.Repeat((byte)8, 32).ToArray());
        var dir = Path.Combine(Path.GetTempPath(), "mero-gov-c-" + Guid.NewGuid().ToString("N"));
        using (var store = MeroStore.Open(dir))
        {
            await using var actor = new GovernanceActor(store);
            await actor.CreateNamespaceAsync(ns, ApplicationId.FromBytes(new byte[32]));
            var tasks = Enumerable.Range(0, 200).Select(i => actor.IssueAsync(ns, new SetGroupAliasOp(ns, $"alias-{i}"))).ToList();
            var results = await Task.WhenAll(tasks);
            Assert.All(results, r => Assert.Equal(ApplyStatus.Applied, r.Result.Status));
            Assert.Equal(201, await actor.QueryAsync(ns, e => e.AppliedCount));
        }

        using (var store = MeroStore.Open(dir))
        {
            await using var actor = new GovernanceActor(store);
            Assert.Equal(201, await actor.QueryAsync(ns, e => e.AppliedCount));
            Assert.Equal("alias-199", await actor.QueryAsync(ns, e => e.State.GroupAlias(ns)));
        }
    }
}
