using Xunit;

namespace Mero.Node.Tests.Governance;

/// <summary>Key recovery through <see cref="Mero.Node.Governance.GovernanceContextAuthority"/>: scope, wrap, accept, and what is not served.</summary>
public sealed class KeyRecoveryAuthorityTests
{
    private static readonly CancellationToken Ct = CancellationToken.None;

    [Fact]
    public async Task A_member_is_served_the_context_key_and_anyone_else_gets_an_empty_envelope()
    {
        var network = GovNode.Network(31);
        await using var node1 = await GovNode.StartAsync(network, "node1");
        await using var node2 = await GovNode.StartAsync(network, "node2");
        var (created, key2) = await ContextIndexTests.CreateAndJoinAsync(node1, node2);
        var context = created.Context;
        await Eventually.TrueAsync(async () => await node2.Authority.CurrentKeyAsync(context, Ct) is not null, "node2 holds the context key");

        var scope = (await node2.Authority.KeyScopeAsync(context, Ct))!;
        Assert.Equal(created.Namespace, scope.NamespaceId);
        Assert.Equal(key2, scope.Requester);
        var current = (await node1.Authority.CurrentKeyAsync(context, Ct))!;

        var (envelope, responder) = await node1.Authority.WrapKeyAsync(scope.NamespaceId, scope.GroupId, scope.Requester, current.KeyId, Ct);
        Assert.NotEmpty(envelope);
        Assert.Equal(await node1.Query(created.Namespace, e => e.Identity.PublicKey), responder);
        Assert.True(await node2.Authority.AcceptKeyAsync(scope.NamespaceId, scope.GroupId, current.KeyId, envelope, Ct));
        Assert.Equal(current.Key, (await node2.Authority.KeyAsync(context, current.KeyId, Ct))!.Key);

        // Not a member, an unknown key id, a namespace node1 does not follow: all the same empty answer.
        var stranger = PublicKey.FromBytes(Enumerable.Repeat((byte)9, 32).ToArray());
        var otherNamespace = GroupId.FromBytes(Enumerable.Repeat((byte)5, 32).ToArray());
        Assert.Empty((await node1.Authority.WrapKeyAsync(scope.NamespaceId, scope.GroupId, stranger, current.KeyId, Ct)).Envelope);
        Assert.Empty((await node1.Authority.WrapKeyAsync(scope.NamespaceId, scope.GroupId, key2, Hash.FromBytes(new byte[32]), Ct)).Envelope);
        Assert.Empty((await node1.Authority.WrapKeyAsync(otherNamespace, scope.GroupId, key2, current.KeyId, Ct)).Envelope);
        Assert.False(node1.Service.Follows(otherNamespace));
        Assert.False(await node2.Authority.AcceptKeyAsync(otherNamespace, scope.GroupId, current.KeyId, envelope, Ct));
    }
}
