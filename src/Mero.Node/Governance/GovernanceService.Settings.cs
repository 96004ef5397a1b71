using Mero.Governance;
using Microsoft.Extensions.Logging;

namespace Mero.Node.Governance;

/// <summary>A member to add: its namespace key and the role it gets in the group.</summary>
public sealed record MemberToAdd(PublicKey Member, GroupRole Role);

/// <summary>The group settings a PATCH may change; null leaves a setting as it is.</summary>
public sealed record GroupSettingsUpdate(
    Capabilities? DefaultCapabilities = null,
    Visibility? SubgroupVisibility = null,
    Visibility? DefaultSubgroupVisibility = null,
    string? Name = null)
{
    public bool IsEmpty => DefaultCapabilities is null && SubgroupVisibility is null && DefaultSubgroupVisibility is null && Name is null;
}

/// <summary>What an explicit group sync did: the peers asked, the ops fetched, the group after.</summary>
public sealed record GroupSyncResult(GroupView Group, int PeersAsked, int PeersFailed, int OpsFetched);

/// <summary>
/// Group settings, member adds, context detach, explicit sync and the context/application lookups
/// (the admin routes upstream has and the first governance cut lacked).
/// </summary>
public sealed partial class GovernanceService
{
    public async Task SetDefaultCapabilitiesAsync(GroupId group, Capabilities capabilities, CancellationToken ct)
    {
        RequireKnownBits(capabilities, "defaultCapabilities");
        var ns = await NamespaceOfAsync(group, ct).ConfigureAwait(false);
        await IssueAsync(ns, new SetDefaultCapabilitiesOp(group, capabilities), ct).ConfigureAwait(false);
    }

    /// <summary>The group's own visibility (upstream's "subgroup visibility": open lets parent members in by inheritance).</summary>
    public async Task SetSubgroupVisibilityAsync(GroupId group, Visibility visibility, CancellationToken ct)
    {
        var ns = await NamespaceOfAsync(group, ct).ConfigureAwait(false);
        if (group == ns)
        {
            // A bad target, not a missing right (the op itself would say Unauthorized).
            throw new NodeException(NodeErrorKind.InvalidInput, "the namespace root has no visibility: set it on a subgroup");
        }

        await IssueAsync(ns, new SetVisibilityOp(group, visibility), ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Applies every requested setting as its own signed op. All are checked first (bits, group,
    /// the caller's rights) so a refusal leaves the group unchanged rather than half updated.
    /// </summary>
    public async Task<GroupView> UpdateGroupSettingsAsync(GroupId group, GroupSettingsUpdate update, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(update);
        if (update.IsEmpty)
        {
            throw new NodeException(NodeErrorKind.InvalidInput, "nothing to update: give defaultCapabilities, subgroupVisibility, defaultSubgroupVisibility or name");
        }

        if (update.DefaultCapabilities is { } caps)
        {
            RequireKnownBits(caps, "defaultCapabilities");
        }

        var ns = await NamespaceOfAsync(group, ct).ConfigureAwait(false);
        var refusal = await _actor.QueryAsync(ns, e =>
        {
            var me = e.Identity.PublicKey;
            var s = e.State;
            if (!s.GroupExists(group))
            {
                return new NodeException(NodeErrorKind.NotFound, $"group {group} does not exist");
            }

            var parent = s.Group(group)?.Parent;
            var isAdmin = Membership.IsEffectiveAdmin(s, group, me);
            if ((update.DefaultCapabilities is not null || update.DefaultSubgroupVisibility is not null) && !isAdmin)
            {
                return new NodeException(NodeErrorKind.Unauthorized, $"only admins of {group} may change its default capabilities or default visibility");
            }

            if (update.SubgroupVisibility is not null)
            {
                if (parent is not { } p)
                {
                    return new NodeException(NodeErrorKind.InvalidInput, "the namespace root has no visibility");
                }

                if (!(isAdmin || Membership.IsEffectiveAdmin(s, p, me)
                    || Membership.HasCapability(s, group, me, Capabilities.CanManageVisibility)
                    || Membership.HasCapability(s, p, me, Capabilities.CanManageVisibility)))
                {
                    return new NodeException(NodeErrorKind.Unauthorized, "changing visibility needs admin or CAN_MANAGE_VISIBILITY");
                }
            }

            return update.Name is not null && !Membership.HasCapability(s, group, me, Capabilities.CanManageMetadata)
                ? new NodeException(NodeErrorKind.Unauthorized, "renaming a group needs CAN_MANAGE_METADATA")
                : null;
        }, ct).ConfigureAwait(false);
        if (refusal is not null)
        {
            throw refusal;
        }

        if (update.DefaultCapabilities is { } defaults)
        {
            await IssueAsync(ns, new SetDefaultCapabilitiesOp(group, defaults), ct).ConfigureAwait(false);
        }

        if (update.SubgroupVisibility is { } visibility)
        {
            await IssueAsync(ns, new SetVisibilityOp(group, visibility), ct).ConfigureAwait(false);
        }

        if (update.DefaultSubgroupVisibility is { } defaultVisibility)
        {
            await IssueAsync(ns, new SetDefaultVisibilityOp(group, defaultVisibility), ct).ConfigureAwait(false);
        }

        if (update.Name is { } name)
        {
            await IssueAsync(ns, new SetGroupAliasOp(group, name), ct).ConfigureAwait(false);
        }

        return await _actor.QueryAsync(ns, e => ToView(e, group), ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Adds members who already belong to the namespace (their agreement key, needed to wrap the
    /// group key to them, is on their namespace row). Checks every entry before issuing any op.
    /// </summary>
    public async Task AddMembersAsync(GroupId group, IReadOnlyList<MemberToAdd> members, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(members);
        if (members.Count == 0)
        {
            throw new NodeException(NodeErrorKind.InvalidInput, "members must name at least one member");
        }

        if (members.GroupBy(m => m.Member).FirstOrDefault(g => g.Count() > 1) is { } duplicate)
        {
            throw new NodeException(NodeErrorKind.InvalidInput, $"{duplicate.Key} is named more than once");
        }

        var ns = await NamespaceOfAsync(group, ct).ConfigureAwait(false);
        var (refusal, ops) = await _actor.QueryAsync(ns, e =>
        {
            var me = e.Identity.PublicKey;
            var s = e.State;
            if (!s.GroupExists(group))
            {
                return (new NodeException(NodeErrorKind.NotFound, $"group {group} does not exist"), (List<AddMemberOp>?)null);
            }

            if (members.Any(m => m.Role == GroupRole.Admin) ? !Membership.IsEffectiveAdmin(s, group, me) : !Membership.HasCapability(s, group, me, Capabilities.ManageMembers))
            {
                return (new NodeException(NodeErrorKind.Unauthorized, $"this node's identity may not add members to {group} (admin or MANAGE_MEMBERS; admins only for the Admin role)"), null);
            }

            var result = new List<AddMemberOp>();
            foreach (var m in members)
            {
                if (s.Member(group, m.Member) is not null)
                {
                    return (new NodeException(NodeErrorKind.InvalidInput, $"{m.Member} is already a direct member of {group}"), null);
                }

                var agreement = s.Ancestors(group).Prepend(group).Select(a => s.Member(a, m.Member)?.AgreementKey).FirstOrDefault(k => k is not null);
                if (agreement is null)
                {
                    return (new NodeException(NodeErrorKind.NotFound, $"{m.Member} is not a member of namespace {ns} or of a parent of {group}: invite it to the namespace first"), null);
                }

                result.Add(new AddMemberOp(group, m.Member, m.Role, agreement));
            }

            return ((NodeException?)null, result);
        }, ct).ConfigureAwait(false);
        if (refusal is not null)
        {
            throw refusal;
        }

        foreach (var op in ops!)
        {
            await IssueAsync(ns, op, ct).ConfigureAwait(false);
        }

        LogMembersAdded(_logger, group, ops.Count);
    }

    /// <summary>Unregisters a context from its group (admins of the group); the context itself stays on the nodes that have it.</summary>
    public async Task DetachContextAsync(GroupId group, ContextId context, CancellationToken ct)
    {
        var ns = await NamespaceOfAsync(group, ct).ConfigureAwait(false);
        var home = await _actor.QueryAsync(ns, e => e.State.ContextGroup(context), ct).ConfigureAwait(false);
        if (home != group)
        {
            throw new NodeException(NodeErrorKind.NotFound, $"context {context} is not registered in group {group}");
        }

        await IssueAsync(ns, new DetachContextOp(group, context), ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Explicit catch-up: asks every peer on the namespace topic for its heads and fetches what this
    /// node lacks. No peers is not an error (a lone node is already in sync with itself); every peer
    /// failing is.
    /// </summary>
    public async Task<GroupSyncResult> SyncGroupAsync(GroupId group, CancellationToken ct)
    {
        var ns = await NamespaceOfAsync(group, ct).ConfigureAwait(false);
        var transport = (_router ?? throw new GovernanceUnavailableException("this node is not on the network")).Transport;
        var peers = await transport.TopicPeersAsync(Topic(ns), ct).ConfigureAwait(false);
        var fetched = 0;
        var failed = 0;
        Exception? last = null;
        foreach (var peer in peers)
        {
            try
            {
                fetched += await CatchUpAsync(ns, peer, null, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                failed++;
                last = e;
                LogCatchUpFailed(_logger, ns, peer, e);
            }
        }

        if (peers.Count > 0 && failed == peers.Count)
        {
            throw new GovernanceUnavailableException($"no peer of namespace {ns} answered the sync: {last!.Message}");
        }

        var view = await _actor.QueryAsync(ns, e => e.State.GroupExists(group) ? ToView(e, group) : null, ct).ConfigureAwait(false)
            ?? throw new NodeException(NodeErrorKind.NotFound, $"group {group} no longer exists after the sync");
        return new GroupSyncResult(view, peers.Count, failed, fetched);
    }

    /// <summary>The group a context is registered in, or null when it is in no namespace this node follows.</summary>
    public async Task<GroupId?> GroupOfContextAsync(ContextId context, CancellationToken ct)
    {
        if (NamespaceOfContext(context) is not { } ns)
        {
            return null;
        }

        return await _actor.QueryAsync(ns, e => e.State.ContextGroup(context), ct).ConfigureAwait(false);
    }

    /// <summary>The followed namespaces whose application (upgrade target) is <paramref name="application"/>, in id order.</summary>
    public async Task<IReadOnlyList<NamespaceView>> ListNamespacesForApplicationAsync(ApplicationId application, CancellationToken ct) =>
        [.. (await ListNamespacesAsync(ct).ConfigureAwait(false)).Where(v => v.TargetApplication == application)];

    private static void RequireKnownBits(Capabilities capabilities, string field)
    {
        if ((capabilities & ~Capabilities.All) != 0)
        {
            throw new NodeException(NodeErrorKind.InvalidInput, $"{field} {(uint)capabilities} sets bits above 8");
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "governance: added {Count} member(s) to group {Group}")]
    private static partial void LogMembersAdded(ILogger logger, GroupId group, int count);
}
