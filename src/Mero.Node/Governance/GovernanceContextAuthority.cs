using System.Security.Cryptography;
using Mero.Governance;
using Mero.Node.Replication;

namespace Mero.Node.Governance;

/// <summary>
/// <see cref="IContextAuthority"/> over the node's governance. A context is governed when it is
/// registered in a namespace this node follows. A write is allowed when the author has joined
/// the context (JoinContext) and is a member of its group whose role is not ReadOnly, evaluated
/// at the governance heads the delta carries (the engine folds that causal cut; Unknown when a
/// head is not applied here) or at the live state when none are given. The role is the author's
/// direct row in the group, else its row in the nearest ancestor it inherits through.
/// Keys: each key of the context's group yields a context key HKDF-SHA256(group key, salt =
/// context id, info = "mero/context-key/v1") under the group key's id, so data and governance
/// never seal under the same key while rotation (member removal) still rotates both.
/// Contexts that are not governed get NotMember / null: callers check <see cref="IsGovernedAsync"/> first.
/// </summary>
public sealed class GovernanceContextAuthority(GovernanceService governance) : IContextAuthority
{
    private static readonly byte[] KeyInfo = "mero/context-key/v1"u8.ToArray();

    /// <summary>
    /// Governed when registered in a namespace this node follows, or one it has left: writes to a
    /// left namespace's context are then refused (NotMember) instead of becoming a local fork.
    /// </summary>
    public ValueTask<bool> IsGovernedAsync(ContextId context, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        return ValueTask.FromResult(governance.IsGovernedContext(context));
    }

    public async ValueTask<WriteVerdict> AuthorizeWriteAsync(ContextId context, PublicKey author, IReadOnlyList<Hash>? governanceHeads, CancellationToken ct)
    {
        if (await LocateAsync(context, ct).ConfigureAwait(false) is not { } ns)
        {
            return WriteVerdict.NotMember;
        }

        return await governance.Actor.QueryAsync(ns, e =>
        {
            var state = governanceHeads is { Count: > 0 } heads ? e.StateAt(heads) : e.State;
            return state is null ? WriteVerdict.Unknown : Verdict(state, context, author);
        }, ct).ConfigureAwait(false);
    }

    public async ValueTask<ContextKey?> CurrentKeyAsync(ContextId context, CancellationToken ct)
    {
        if (await LocateAsync(context, ct).ConfigureAwait(false) is not { } ns)
        {
            return null;
        }

        var key = await governance.Actor.QueryAsync(ns, e => e.State.ContextGroup(context) is { } g ? e.CurrentGroupKey(g) : null, ct).ConfigureAwait(false);
        return key is { } k ? new ContextKey(k.KeyId, Derive(k.Key, context)) : null;
    }

    public async ValueTask<ContextKey?> KeyAsync(ContextId context, Hash keyId, CancellationToken ct)
    {
        if (await LocateAsync(context, ct).ConfigureAwait(false) is not { } ns)
        {
            return null;
        }

        var key = await governance.Actor.QueryAsync(ns, e => e.GroupKey(keyId), ct).ConfigureAwait(false);
        return key is null ? null : new ContextKey(keyId, Derive(key, context));
    }

    public async ValueTask<IReadOnlyList<Hash>> GovernanceHeadsAsync(ContextId context, CancellationToken ct)
    {
        if (await LocateAsync(context, ct).ConfigureAwait(false) is not { } ns)
        {
            return [];
        }

        return await governance.Actor.QueryAsync(ns, e => e.Heads.Order().ToList(), ct).ConfigureAwait(false);
    }

    public async ValueTask<IReadOnlyList<PublicKey>> MembersAsync(ContextId context, CancellationToken ct)
    {
        if (await LocateAsync(context, ct).ConfigureAwait(false) is not { } ns)
        {
            return [];
        }

        return await governance.Actor.QueryAsync(ns, e => e.State.ContextMembers(context).ToList(), ct).ConfigureAwait(false);
    }

    public async ValueTask<KeyScope?> KeyScopeAsync(ContextId context, CancellationToken ct)
    {
        if (await LocateAsync(context, ct).ConfigureAwait(false) is not { } ns)
        {
            return null;
        }

        return await governance.Actor.QueryAsync(ns, e => e.State.ContextGroup(context) is { } g ? new KeyScope(ns, g, e.Identity.PublicKey) : null, ct).ConfigureAwait(false);
    }

    public async ValueTask<(byte[] Envelope, PublicKey Responder)> WrapKeyAsync(GroupId namespaceId, GroupId group, PublicKey requester, Hash keyId, CancellationToken ct)
    {
        // Only namespaces this node follows: asking about any other must not create an engine for it.
        if (!governance.Follows(namespaceId))
        {
            return ([], default);
        }

        return await governance.Actor.QueryAsync(namespaceId, e => (e.WrapKeyForMember(group, requester, keyId), e.Identity.PublicKey), ct).ConfigureAwait(false);
    }

    public async ValueTask<bool> AcceptKeyAsync(GroupId namespaceId, GroupId group, Hash keyId, byte[] envelope, CancellationToken ct) =>
        governance.Follows(namespaceId)
        && await governance.Actor.AcceptRecoveredKeyAsync(namespaceId, group, keyId, envelope, ct).ConfigureAwait(false);

    /// <summary>The verdict for one author at one state (public for tests).</summary>
    public static WriteVerdict Verdict(GovernanceState state, ContextId context, PublicKey author)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.ContextGroup(context) is not { } group || !state.HasJoinedContext(context, author) || !Membership.IsMember(state, group, author))
        {
            return WriteVerdict.NotMember;
        }

        if (Membership.IsEffectiveAdmin(state, group, author))
        {
            return WriteVerdict.Allowed;
        }

        var row = state.Member(group, author) ?? state.Ancestors(group).Select(a => state.Member(a, author)).FirstOrDefault(r => r is not null);
        return row?.Role == GroupRole.ReadOnly ? WriteVerdict.ReadOnly : WriteVerdict.Allowed;
    }

    public static byte[] Derive(byte[] groupKey, ContextId context) =>
        HKDF.DeriveKey(HashAlgorithmName.SHA256, groupKey, 32, context.ToArray(), KeyInfo);

    /// <summary>One dictionary read: the service keeps a context → namespace index (O(1) for local contexts).</summary>
    private ValueTask<GroupId?> LocateAsync(ContextId context, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        return ValueTask.FromResult(governance.NamespaceOfContext(context));
    }
}
