using Mero.Governance;

namespace Mero.Node.Governance;

/// <summary>A followed namespace as listed by the admin API.</summary>
public sealed record NamespaceView(
    GroupId Id,
    ApplicationId? TargetApplication,
    string? Name,
    int MemberCount,
    int ContextCount,
    int SubgroupCount,
    PublicKey Identity,
    IReadOnlyList<Hash> Heads);

/// <summary>A group of a followed namespace.</summary>
public sealed record GroupView(GroupId Id, GroupId Namespace, GroupId? Parent, string? Name, int MemberCount, int ContextCount, Capabilities DefaultCapabilities, Visibility Visibility, Hash StateHash);

/// <summary>A direct member row of a group.</summary>
public sealed record MemberView(PublicKey Identity, GroupRole Role, Capabilities Capabilities, string? Name);

/// <summary>What <c>namespace create</c> made: the namespace, its context and the node's member key in both.</summary>
public sealed record CreatedNamespace(GroupId Namespace, ContextId Context, PublicKey MemberPublicKey);
