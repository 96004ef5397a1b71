namespace Mero.Node.Replication;

/// <summary>Whether a member key may change a context's state.</summary>
public enum WriteVerdict
{
    /// <summary>A joined member with a role that may write.</summary>
    Allowed,

    /// <summary>Not a member of the context (never joined, removed, or unknown key).</summary>
    NotMember,

    /// <summary>A member whose role is ReadOnly: its mutations are discarded locally and rejected remotely.</summary>
    ReadOnly,

    /// <summary>This node cannot decide yet (the governance cut is not known here); retry after governance sync.</summary>
    Unknown,
}

/// <summary>Where a key request for a context goes: its namespace, its group, and this node's member key there.</summary>
public sealed record KeyScope(GroupId NamespaceId, GroupId GroupId, PublicKey Requester);

/// <summary>A symmetric key sealing a context's deltas; <see cref="KeyId"/> travels in clear so receivers pick the key.</summary>
public sealed record ContextKey(Hash KeyId, byte[] Key);

/// <summary>
/// What replication asks governance about a context: who may write, which key seals its data
/// and where the namespace's DAG stands. Contexts that belong to no namespace (created with
/// <c>context create</c>) are not governed: every method returns null for them, and the node then
/// treats the context as local-only.
/// </summary>
public interface IContextAuthority
{
    /// <summary>True if the context is registered in a namespace this node follows.</summary>
    ValueTask<bool> IsGovernedAsync(ContextId context, CancellationToken ct);

    /// <summary>
    /// Checks <paramref name="author"/> against the context's group at the governance cut
    /// <paramref name="governanceHeads"/> (the namespace DAG heads the author had seen), or at
    /// this node's live state when null.
    /// </summary>
    ValueTask<WriteVerdict> AuthorizeWriteAsync(ContextId context, PublicKey author, IReadOnlyList<Hash>? governanceHeads, CancellationToken ct);

    /// <summary>The newest key of the context's group that this node holds; null if none.</summary>
    ValueTask<ContextKey?> CurrentKeyAsync(ContextId context, CancellationToken ct);

    /// <summary>A key of the context's group by id (older keys stay readable after a rotation).</summary>
    ValueTask<ContextKey?> KeyAsync(ContextId context, Hash keyId, CancellationToken ct);

    /// <summary>The namespace DAG heads now: stamped on each delta as its governance position.</summary>
    ValueTask<IReadOnlyList<Hash>> GovernanceHeadsAsync(ContextId context, CancellationToken ct);

    /// <summary>Member keys of the context (joined, any role) — peers a sync may serve.</summary>
    ValueTask<IReadOnlyList<PublicKey>> MembersAsync(ContextId context, CancellationToken ct);

    /// <summary>Key recovery, asking side: the scope to name in a key request; null when not governed.</summary>
    ValueTask<KeyScope?> KeyScopeAsync(ContextId context, CancellationToken ct);

    /// <summary>
    /// Key recovery, answering side: the key wrapped for the requester, and this node's member key
    /// as the responder; an empty envelope for anything not served (no membership oracle).
    /// </summary>
    ValueTask<(byte[] Envelope, PublicKey Responder)> WrapKeyAsync(GroupId namespaceId, GroupId group, PublicKey requester, Hash keyId, CancellationToken ct);

    /// <summary>Key recovery, asking side: keeps the key if the envelope opens to it; true when it is held afterwards.</summary>
    ValueTask<bool> AcceptKeyAsync(GroupId namespaceId, GroupId group, Hash keyId, byte[] envelope, CancellationToken ct);
}
