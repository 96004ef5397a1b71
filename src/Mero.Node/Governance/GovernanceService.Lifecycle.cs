using System.Security.Cryptography;
using Mero.Governance;
using Mero.Store;

namespace Mero.Node.Governance;

/// <summary>
/// Subgroups, leaving and deleting (upstream's routes and rules, docs/governance.md "Leave and delete").
/// Leave publishes a self-signed LeaveGroup; a namespace leave then stops following the namespace
/// (no topic, no heartbeat, no catch-up served; replication drops its contexts' topics too) while its contexts stay known as governed, so
/// writes to them are refused (NotMember) rather than turning into local forks. Delete is a local
/// teardown by a root admin: the namespace's governance rows and this node's copies of its contexts go.
/// </summary>
public sealed partial class GovernanceService
{
    private static readonly byte[] LeftPrefix = "gov/left/"u8.ToArray();
    private readonly System.Collections.Concurrent.ConcurrentDictionary<GroupId, byte> _left = new();

    /// <summary>True when a context is registered in a namespace this node follows or has left (not deleted).</summary>
    public bool IsGovernedContext(ContextId context) =>
        _contextHomes.TryGetValue(context, out var ns) && (Follows(ns) || _left.ContainsKey(ns));

    /// <summary>Creates a subgroup under <paramref name="parent"/> (a namespace root or a group); returns its id.</summary>
    public async Task<GroupId> CreateGroupAsync(GroupId parent, GroupId? id, string? alias, CancellationToken ct, Visibility? visibility = Visibility.Restricted)
    {
        var ns = await NamespaceOfAsync(parent, ct).ConfigureAwait(false);
        var group = id ?? GroupId.FromBytes(RandomNumberGenerator.GetBytes(32));
        var agreement = await _actor.QueryAsync(ns, e => e.Identity.Agreement.PublicKey, ct).ConfigureAwait(false);
        await IssueAsync(ns, new CreateGroupOp(group, parent, visibility, agreement, []), ct).ConfigureAwait(false);
        if (!string.IsNullOrEmpty(alias))
        {
            await IssueAsync(ns, new SetGroupAliasOp(group, alias), ct).ConfigureAwait(false);
        }

        return group;
    }

    /// <summary>Direct subgroups of a group (or of a namespace root).</summary>
    public async Task<IReadOnlyList<GroupView>> ListSubgroupsAsync(GroupId group, CancellationToken ct)
    {
        var ns = await NamespaceOfAsync(group, ct).ConfigureAwait(false);
        return await _actor.QueryAsync(ns, e => e.State.Children(group).Select(g => ToView(e, g)).ToList(), ct).ConfigureAwait(false);
    }

    /// <summary>Deletes a subgroup with its subtree and detaches every context in it (one replicated op).</summary>
    public async Task DeleteGroupAsync(GroupId group, CancellationToken ct)
    {
        if (Follows(group))
        {
            throw new NodeException(NodeErrorKind.InvalidInput, $"{group} is a namespace root: use namespace delete");
        }

        var ns = await NamespaceOfAsync(group, ct).ConfigureAwait(false);
        await IssueAsync(ns, new DeleteGroupOp(group), ct).ConfigureAwait(false);
    }

    /// <summary>Leaves a subgroup (self-signed; no key rotation, as upstream). The namespace stays followed.</summary>
    public async Task<PublicKey> LeaveGroupAsync(GroupId group, CancellationToken ct)
    {
        if (Follows(group))
        {
            throw new NodeException(NodeErrorKind.InvalidInput, $"{group} is a namespace root: use namespace leave");
        }

        var ns = await NamespaceOfAsync(group, ct).ConfigureAwait(false);
        var me = await _actor.QueryAsync(ns, e => e.Identity.PublicKey, ct).ConfigureAwait(false);
        await IssueAsync(ns, new LeaveGroupOp(group), ct).ConfigureAwait(false);
        LogLeft(_logger, group, ns);
        return me;
    }

    /// <summary>
    /// Leaves a namespace: publishes LeaveGroup at the root (the engine cascades it to every
    /// descendant where this node has a direct row, after owner and last-admin checks on all of
    /// them), then stops following it. The owner cannot leave (delete the namespace instead).
    /// </summary>
    public async Task<PublicKey> LeaveNamespaceAsync(GroupId ns, CancellationToken ct)
    {
        RequireFollowed(ns);
        var (me, direct) = await _actor.QueryAsync(ns, e => (e.Identity.PublicKey, e.State.Member(ns, e.Identity.PublicKey) is not null), ct).ConfigureAwait(false);
        if (!direct)
        {
            throw new NodeException(NodeErrorKind.NotFound, $"this node is not a direct member of namespace {ns}");
        }

        var issued = await IssueAsync(ns, new LeaveGroupOp(ns), ct).ConfigureAwait(false);
        await ConfirmDeliveredAsync(ns, issued.Published, ct).ConfigureAwait(false);
        await UnfollowAsync(ns, left: true, ct).ConfigureAwait(false);
        LogLeft(_logger, ns, ns);
        return me;
    }

    /// <summary>
    /// Deletes a namespace on this node (no replicated op, as upstream: peers keep theirs). Only a
    /// root admin may. Removes every governance row of the namespace and this node's copies of its
    /// contexts, and stops following it.
    /// </summary>
    public async Task DeleteNamespaceAsync(GroupId ns, CancellationToken ct)
    {
        RequireFollowed(ns);
        var (admin, contexts) = await _actor.QueryAsync(ns, e => (Membership.IsEffectiveAdmin(e.State, ns, e.Identity.PublicKey), e.State.AllContexts().ToList()), ct).ConfigureAwait(false);
        if (!admin)
        {
            throw new NodeException(NodeErrorKind.Unauthorized, $"only an admin of namespace {ns} may delete it");
        }

        await UnfollowAsync(ns, left: false, ct).ConfigureAwait(false);
        await _actor.DeleteNamespaceAsync(ns, ct).ConfigureAwait(false);
        Unindex(ns);
        foreach (var context in contexts)
        {
            await _contexts.DeleteAsync(context, ct).ConfigureAwait(false);
        }

        LogDeleted(_logger, ns, contexts.Count);
    }

    /// <summary>
    /// Before a leaver goes quiet: once it stops heartbeating and serving, peers can no longer pull
    /// its leave, so it re-publishes until a topic peer's heads name the op (bounded; best effort
    /// like all gossip, and skipped off the network).
    /// </summary>
    private async Task ConfirmDeliveredAsync(GroupId ns, IReadOnlyList<SignedGroupOp> ops, CancellationToken ct)
    {
        if (_router is not { } router || ops.Count == 0)
        {
            return;
        }

        var op = ops[0].Id;
        var deadline = _time.GetUtcNow() + _options.RequestTimeout;
        while (_time.GetUtcNow() < deadline)
        {
            foreach (var peer in await router.Transport.TopicPeersAsync(Topic(ns), ct).ConfigureAwait(false))
            {
                try
                {
                    if (await RequestAsync(router.Transport, peer, new GovernanceHeadsRequest(ns), ct).ConfigureAwait(false) is GovernanceHeadsResponse { Heads: var heads } && heads.Contains(op))
                    {
                        return;
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
                {
                    LogCatchUpFailed(_logger, ns, peer, e);
                }
            }

            await Task.Delay(_options.JoinRetryInterval, _time, ct).ConfigureAwait(false);
            await PublishOpsAsync(ns, ops, ct).ConfigureAwait(false);
        }

        LogLeaveUnconfirmed(_logger, ns);
    }

    private async Task UnfollowAsync(GroupId ns, bool left, CancellationToken ct)
    {
        _followed.TryRemove(ns, out _);
        using (var batch = _store.CreateBatch())
        {
            batch.Delete(Column.Meta, [.. FollowedPrefix, .. ns.AsSpan()]);
            if (left)
            {
                batch.Put(Column.Meta, [.. LeftPrefix, .. ns.AsSpan()], []);
                _left[ns] = 0;
            }
            else
            {
                batch.Delete(Column.Meta, [.. LeftPrefix, .. ns.AsSpan()]);
                _left.TryRemove(ns, out _);
            }

            _store.Commit(batch);
        }

        // Its contexts go quiet on the network too: replication drops their topics and heartbeats.
        foreach (var (context, home) in _contextHomes)
        {
            if (home == ns)
            {
                _outbox?.Post(new Mero.Node.Replication.ReplicationNotice.ContextUnfollowed(context));
            }
        }

        if (_router is { } router)
        {
            try
            {
                await router.Transport.UnsubscribeAsync(Topic(ns), ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Not following is decided above: a message still arriving is dropped by HandleAsync.
                LogPublishFailed(_logger, ns, e);
            }
        }
    }

    /// <summary>At startup: namespaces left earlier are opened (not followed) so their contexts stay known as governed.</summary>
    private async Task LoadLeftAsync(CancellationToken ct)
    {
        foreach (var (key, _) in _store.Scan(Column.Meta, LeftPrefix))
        {
            var ns = GroupId.FromBytes(key.AsSpan(LeftPrefix.Length));
            await _actor.OpenNamespaceAsync(ns, ct: ct).ConfigureAwait(false);
            _left[ns] = 0;
        }
    }

    [Microsoft.Extensions.Logging.LoggerMessage(Level = Microsoft.Extensions.Logging.LogLevel.Information, Message = "governance: left group {Group} of namespace {Namespace}")]
    private static partial void LogLeft(Microsoft.Extensions.Logging.ILogger logger, GroupId group, GroupId @namespace);

    [Microsoft.Extensions.Logging.LoggerMessage(Level = Microsoft.Extensions.Logging.LogLevel.Warning, Message = "governance: no peer confirmed the leave of {Namespace} in time; peers learn it only from another node that received it")]
    private static partial void LogLeaveUnconfirmed(Microsoft.Extensions.Logging.ILogger logger, GroupId @namespace);

    [Microsoft.Extensions.Logging.LoggerMessage(Level = Microsoft.Extensions.Logging.LogLevel.Information, Message = "governance: deleted namespace {Namespace} and {Contexts} local contexts")]
    private static partial void LogDeleted(Microsoft.Extensions.Logging.ILogger logger, GroupId @namespace, int contexts);
}
