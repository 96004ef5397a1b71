using System.Security.Cryptography;
using System.Text.Json;
using Mero.Governance;
using Mero.Node.Contexts;

namespace Mero.Node.Governance;

/// <summary>The operations behind the admin API and meroctl: namespaces, invitations, joins, members.</summary>
public sealed partial class GovernanceService
{
    /// <summary>
    /// Creates a namespace whose founder is a fresh namespace identity of this node, then the
    /// namespace's context as that identity (so the context member key is the governance member
    /// key), registers the context in the namespace root and joins it. The namespace's application
    /// (its upgrade target) is the application of every context registered in it.
    /// </summary>
    public async Task<CreatedNamespace> CreateNamespaceAsync(ApplicationId application, byte[]? initArgs, string? name, CancellationToken ct)
    {
        var ns = GroupId.FromBytes(RandomNumberGenerator.GetBytes(32));
        // The engine keeps (and owns) the identity: it signs every op of this node in the namespace.
        var identity = NamespaceIdentity.Generate();
        var genesis = await _actor.CreateNamespaceAsync(ns, application, identity, ct).ConfigureAwait(false);
        ThrowIfRejected(genesis, "create the namespace");
        await FollowAsync(ns, ct).ConfigureAwait(false);
        await PublishOpsAsync(ns, await _actor.QueryAsync(ns, e => genesis.Applied.Select(e.AppliedEnvelope).OfType<SignedGroupOp>().ToList(), ct).ConfigureAwait(false), ct).ConfigureAwait(false);

        if (!string.IsNullOrEmpty(name))
        {
            await IssueAsync(ns, new SetGroupAliasOp(ns, name), ct).ConfigureAwait(false);
        }

        var seed = identity.ExportSeed();
        try
        {
            var created = await _contexts.CreateAsync(application, initArgs, name, seed, ct).ConfigureAwait(false);
            await IssueAsync(ns, new RegisterContextOp(ns, created.ContextId), ct).ConfigureAwait(false);
            await IssueAsync(ns, new JoinContextOp(ns, created.ContextId), ct).ConfigureAwait(false);

            // The context manager announced the context before it was registered (so not yet governed): announce it again.
            _outbox?.Post(new Replication.ReplicationNotice.ContextFollowed(created.ContextId));
            LogNamespaceCreated(_logger, ns, created.ContextId, application);
            return new CreatedNamespace(ns, created.ContextId, created.MemberPublicKey);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(seed);
        }
    }

    /// <summary>Mints an invitation into the namespace root (its JSON goes out of band to the joiner).</summary>
    public async Task<SignedInvitation> CreateInvitationAsync(GroupId ns, GroupRole role, TimeSpan? lifetime, CancellationToken ct)
    {
        RequireFollowed(ns);
        var allowed = await _actor.QueryAsync(ns, e => role == GroupRole.Admin
            ? Membership.IsEffectiveAdmin(e.State, ns, e.Identity.PublicKey)
            : Membership.HasCapability(e.State, ns, e.Identity.PublicKey, Capabilities.CanInviteMembers), ct).ConfigureAwait(false);
        if (!allowed)
        {
            throw new NodeException(NodeErrorKind.Unauthorized, $"this node's identity may not invite {role} members into {ns}");
        }

        return await _actor.CreateInvitationAsync(ns, ns, role, lifetime, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Joins a namespace with an invitation: follow its topic, catch up from peers, claim, publish
    /// the claim, then wait until the inviter's key delivery lets this node open the namespace's
    /// ops. Re-publishes the claim and re-asks peers until then (gossip may lose either side).
    /// Returns this node's member key in the namespace.
    /// </summary>
    public async Task<PublicKey> JoinNamespaceAsync(GroupId ns, string invitationJson, CancellationToken ct)
    {
        SignedInvitation invitation;
        try
        {
            invitation = SignedInvitation.FromJson(UnwrapInvitation(invitationJson));
        }
        catch (FormatException e)
        {
            throw new NodeException(NodeErrorKind.InvalidInput, $"invalid invitation: {e.Message}", e);
        }

        if (invitation.Namespace != ns)
        {
            throw new NodeException(NodeErrorKind.InvalidInput, $"the invitation is for namespace {invitation.Namespace}, not {ns}");
        }

        if (!invitation.VerifySignature())
        {
            throw new NodeException(NodeErrorKind.InvalidInput, "the invitation's signature does not verify");
        }

        var me = await _actor.OpenNamespaceAsync(ns, ct: ct).ConfigureAwait(false);
        if (await _actor.QueryAsync(ns, e => e.State.Member(invitation.Group, me) is not null && e.HoldsKeyFor(invitation.Group), ct).ConfigureAwait(false))
        {
            await FollowAsync(ns, ct).ConfigureAwait(false);
            return me;
        }

        var router = _router ?? await _network.WhenReadyAsync(ct).ConfigureAwait(false)
            ?? throw new GovernanceUnavailableException("this node is not on the network: it cannot reach the namespace's members");
        await FollowAsync(ns, ct).ConfigureAwait(false);

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(_options.JoinTimeout);
        try
        {
            // 1. Catch up from a peer of the topic, learning the heads the claim is parented on.
            IReadOnlyList<Hash> heads = [];
            while (heads.Count == 0)
            {
                foreach (var peer in await router.Transport.TopicPeersAsync(Topic(ns), deadline.Token).ConfigureAwait(false))
                {
                    try
                    {
                        await CatchUpAsync(ns, peer, null, deadline.Token).ConfigureAwait(false);
                        heads = await _actor.QueryAsync(ns, e => e.Heads.ToList(), deadline.Token).ConfigureAwait(false);
                        if (heads.Count > 0)
                        {
                            break;
                        }
                    }
                    catch (Exception e) when (!(e is OperationCanceledException && deadline.IsCancellationRequested))
                    {
                        LogCatchUpFailed(_logger, ns, peer, e);
                    }
                }

                if (heads.Count == 0)
                {
                    await Task.Delay(_options.JoinRetryInterval, _time, deadline.Token).ConfigureAwait(false);
                }
            }

            // Sealed ops wait for the key, so these heads may be older than the peer's: the claim is then
            // concurrent with the sealed ops, which is valid (its cut holds the inviter's authority).
            var parents = await _actor.QueryAsync(ns, e => e.Heads.Order().ToList(), deadline.Token).ConfigureAwait(false);
            var claim = await _actor.ClaimInvitationAsync(invitation.ToJson(), parents, deadline.Token).ConfigureAwait(false);
            if (claim.Result.Status == ApplyStatus.Rejected)
            {
                throw RejectionToException(claim.Result.Rejection!, "claim the invitation");
            }

            // 2. Until the inviter's key delivery arrives and the claim is applied: re-publish, re-ask.
            while (true)
            {
                await PublishOpsAsync(ns, claim.Published, deadline.Token).ConfigureAwait(false);
                var done = await _actor.QueryAsync(ns, e => e.IsApplied(claim.Published[0].Id) && e.HoldsKeyFor(invitation.Group), deadline.Token).ConfigureAwait(false);
                if (done)
                {
                    break;
                }

                await Task.Delay(_options.JoinRetryInterval, _time, deadline.Token).ConfigureAwait(false);
                foreach (var peer in await router.Transport.TopicPeersAsync(Topic(ns), deadline.Token).ConfigureAwait(false))
                {
                    try
                    {
                        await CatchUpAsync(ns, peer, null, deadline.Token).ConfigureAwait(false);
                    }
                    catch (Exception e) when (!(e is OperationCanceledException && deadline.IsCancellationRequested))
                    {
                        LogCatchUpFailed(_logger, ns, peer, e);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            throw new GovernanceUnavailableException(
                $"joining {ns} did not complete within {_options.JoinTimeout.TotalSeconds:0.#} s (no peer answered, or the inviter has not delivered the group key yet); the claim is kept and completes when the inviter is reachable");
        }

        LogNamespaceJoined(_logger, ns, me);
        return me;
    }

    /// <summary>
    /// Joins a context registered in a followed namespace: issues JoinContext as this node's
    /// namespace identity and records the context locally with the namespace's application (state
    /// arrives through replication).
    /// </summary>
    public async Task<(ContextId Context, PublicKey Member)> JoinContextAsync(ContextId context, CancellationToken ct)
    {
        if (NamespaceOfContext(context) is { } ns
            && await _actor.QueryAsync(ns, e => e.State.ContextGroup(context) is { } g
                ? new ContextHome(g, e.State.UpgradeTarget, e.Identity.PublicKey, e.State.HasJoinedContext(context, e.Identity.PublicKey), e.Identity.ExportSeed())
                : null, ct).ConfigureAwait(false) is { } f)
        {
            try
            {
                if (f.App is not { } app)
                {
                    throw new NodeException(NodeErrorKind.NotFound, $"namespace {ns} records no application for context {context}");
                }

                if (!f.Joined)
                {
                    await IssueAsync(ns, new JoinContextOp(f.Group, context), ct).ConfigureAwait(false);
                }

                await _contexts.JoinAsync(context, app, f.Seed, ct).ConfigureAwait(false);
                return (context, f.Me);
            }
            finally
            {
                CryptographicOperations.ZeroMemory(f.Seed);
            }
        }

        throw new NodeException(NodeErrorKind.NotFound, $"context {context} is not registered in any namespace this node follows");
    }

    public async Task<IReadOnlyList<NamespaceView>> ListNamespacesAsync(CancellationToken ct)
    {
        var views = new List<NamespaceView>();
        foreach (var ns in Namespaces)
        {
            views.Add(await GetNamespaceAsync(ns, ct).ConfigureAwait(false));
        }

        return views;
    }

    public Task<NamespaceView> GetNamespaceAsync(GroupId ns, CancellationToken ct)
    {
        RequireFollowed(ns);
        return _actor.QueryAsync(ns, e => new NamespaceView(
            ns,
            e.State.UpgradeTarget,
            e.State.GroupAlias(ns),
            e.State.Members(ns).Count(),
            e.State.Groups().Sum(g => e.State.Contexts(g).Count()),
            e.State.Children(ns).Count(),
            e.Identity.PublicKey,
            [.. e.Heads.Order()]), ct);
    }

    /// <summary>Every group of every followed namespace (the roots included), or the direct subgroups of one namespace.</summary>
    public async Task<IReadOnlyList<GroupView>> ListGroupsAsync(GroupId? underNamespace, CancellationToken ct)
    {
        var views = new List<GroupView>();
        foreach (var ns in underNamespace is { } only ? [RequireFollowed(only)] : Namespaces)
        {
            views.AddRange(await _actor.QueryAsync(ns, e =>
                (underNamespace is null ? e.State.Groups() : e.State.Children(ns)).Select(g => ToView(e, g)).ToList(), ct).ConfigureAwait(false));
        }

        return views;
    }

    public async Task<GroupView> GetGroupAsync(GroupId group, CancellationToken ct)
    {
        var ns = await NamespaceOfAsync(group, ct).ConfigureAwait(false);
        return await _actor.QueryAsync(ns, e => ToView(e, group), ct).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<MemberView>> ListMembersAsync(GroupId group, CancellationToken ct)
    {
        var ns = await NamespaceOfAsync(group, ct).ConfigureAwait(false);
        return await _actor.QueryAsync(ns, e => e.State.Members(group)
            .Select(m => new MemberView(m.Member, m.Record.Role, m.Record.Capabilities, e.State.MemberAlias(group, m.Member)))
            .ToList(), ct).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<ContextId>> ListGroupContextsAsync(GroupId group, CancellationToken ct)
    {
        var ns = await NamespaceOfAsync(group, ct).ConfigureAwait(false);
        return await _actor.QueryAsync(ns, e => e.State.Contexts(group).ToList(), ct).ConfigureAwait(false);
    }

    public async Task<Capabilities> GetCapabilitiesAsync(GroupId group, PublicKey member, CancellationToken ct)
    {
        var ns = await NamespaceOfAsync(group, ct).ConfigureAwait(false);
        return await _actor.QueryAsync(ns, e => e.State.Member(group, member)?.Capabilities, ct).ConfigureAwait(false)
            ?? throw new NodeException(NodeErrorKind.NotFound, $"{member} is not a direct member of group {group}");
    }

    public async Task SetCapabilitiesAsync(GroupId group, PublicKey member, Capabilities capabilities, CancellationToken ct)
    {
        if ((capabilities & ~Capabilities.All) != 0)
        {
            throw new NodeException(NodeErrorKind.InvalidInput, $"capabilities {(uint)capabilities} set bits above 8");
        }

        var ns = await NamespaceOfAsync(group, ct).ConfigureAwait(false);
        await IssueAsync(ns, new SetCapabilitiesOp(group, member, capabilities), ct).ConfigureAwait(false);
    }

    public async Task SetRoleAsync(GroupId group, PublicKey member, GroupRole role, CancellationToken ct)
    {
        var ns = await NamespaceOfAsync(group, ct).ConfigureAwait(false);
        await IssueAsync(ns, new SetRoleOp(group, member, role), ct).ConfigureAwait(false);
    }

    /// <summary>Removes members; each removal rotates the group key (the removed member gets none of the new one).</summary>
    public async Task RemoveMembersAsync(GroupId group, IReadOnlyList<PublicKey> members, CancellationToken ct)
    {
        var ns = await NamespaceOfAsync(group, ct).ConfigureAwait(false);
        foreach (var member in members)
        {
            await IssueAsync(ns, new RemoveMemberOp(group, member, default, []), ct).ConfigureAwait(false);
        }
    }

    /// <summary>This node's member key in a namespace.</summary>
    public Task<PublicKey> IdentityAsync(GroupId ns, CancellationToken ct)
    {
        RequireFollowed(ns);
        return _actor.QueryAsync(ns, e => e.Identity.PublicKey, ct);
    }

    /// <summary>Signs and applies an op as this node, publishes it (and any key deliveries), or throws with the rejection.</summary>
    public async Task<IssueResult> IssueAsync(GroupId ns, GroupOp op, CancellationToken ct)
    {
        RequireFollowed(ns);
        var issued = await _actor.IssueAsync(ns, op, ct).ConfigureAwait(false);
        ThrowIfRejected(issued.Result, op.GetType().Name.Replace("Op", "", StringComparison.Ordinal));
        await PublishOpsAsync(ns, issued.Published, ct).ConfigureAwait(false);
        return issued;
    }

    /// <summary>The followed namespace holding <paramref name="group"/> (a namespace id is its own root group).</summary>
    public async Task<GroupId> NamespaceOfAsync(GroupId group, CancellationToken ct)
    {
        if (Follows(group))
        {
            return group;
        }

        foreach (var ns in Namespaces)
        {
            if (await _actor.QueryAsync(ns, e => e.State.GroupExists(group), ct).ConfigureAwait(false))
            {
                return ns;
            }
        }

        throw new NodeException(NodeErrorKind.NotFound, $"group {group} is not in any namespace this node follows");
    }

    private sealed record ContextHome(GroupId Group, ApplicationId? App, PublicKey Me, bool Joined, byte[] Seed);

    private GroupId RequireFollowed(GroupId ns) =>
        Follows(ns) ? ns : throw new NodeException(NodeErrorKind.NotFound, $"this node does not follow namespace {ns}");

    private static GroupView ToView(GovernanceEngine e, GroupId g) => new(
        g,
        e.Namespace,
        e.State.Group(g)?.Parent,
        e.State.GroupAlias(g),
        e.State.Members(g).Count(),
        e.State.Contexts(g).Count(),
        e.State.DefaultCapabilities(g),
        e.State.Visibility(g),
        e.StateHash);

    private static void ThrowIfRejected(ApplyResult result, string what)
    {
        if (result.Status == ApplyStatus.Rejected)
        {
            throw RejectionToException(result.Rejection!, what);
        }
    }

    private static NodeException RejectionToException(Rejection rejection, string what) => new(
        rejection.Code switch
        {
            RejectCode.Unauthorized or RejectCode.ReadOnly or RejectCode.LastAdmin or RejectCode.OwnerImmune => NodeErrorKind.Unauthorized,
            RejectCode.NotFound => NodeErrorKind.NotFound,
            _ => NodeErrorKind.InvalidInput,
        },
        $"cannot {what}: {rejection}");

    /// <summary>
    /// Accepts the invitation as <c>namespace invite</c> prints it (<c>{"data":{"invitation":…}}</c>
    /// or <c>{"invitation":…}</c>) or bare.
    /// </summary>
    public static string UnwrapInvitation(string json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            var element = doc.RootElement;
            if (element.ValueKind == JsonValueKind.Object && element.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Object)
            {
                element = data;
            }

            if (element.ValueKind == JsonValueKind.Object && element.TryGetProperty("invitation", out var inner))
            {
                element = inner;
            }

            return element.ValueKind == JsonValueKind.String ? element.GetString()! : element.GetRawText();
        }
        catch (JsonException e)
        {
            throw new FormatException($"invitation is not valid JSON: {e.Message}");
        }
    }

    [Microsoft.Extensions.Logging.LoggerMessage(Level = Microsoft.Extensions.Logging.LogLevel.Information, Message = "governance: created namespace {Namespace} with context {Context} (application {Application})")]
    private static partial void LogNamespaceCreated(Microsoft.Extensions.Logging.ILogger logger, GroupId @namespace, ContextId context, ApplicationId application);

    [Microsoft.Extensions.Logging.LoggerMessage(Level = Microsoft.Extensions.Logging.LogLevel.Information, Message = "governance: joined namespace {Namespace} as {Member}")]
    private static partial void LogNamespaceJoined(Microsoft.Extensions.Logging.ILogger logger, GroupId @namespace, PublicKey member);
}
