using System.Text.Json;

namespace Mero.Api;

// Namespace and group routes of the admin API, shaped as upstream's server primitives
// (CreateNamespaceApiRequest, NamespaceApiResponse, ListGroupMembersApiResponse...). Where we carry
// more (the namespace's context, a member's capabilities) it is an added field, never a renamed one.

/// <summary>Body of <c>POST /admin-api/namespaces</c>. <c>InitializationParams</c> are the JSON args of the context's <c>init</c>.</summary>
public sealed record CreateNamespaceRequest(
    string ApplicationId,
    string? Name = null,
    string? AppKey = null,
    byte[]? InitializationParams = null);

/// <summary>Upstream answers <c>namespaceId</c>; we also name the context created with it and our member key in both.</summary>
public sealed record CreateNamespaceResponseData(string NamespaceId, string? ContextId = null, string? MemberPublicKey = null);

/// <summary>A namespace as listed (<c>GET /admin-api/namespaces</c>, <c>GET /admin-api/namespaces/:id</c>).</summary>
public sealed record NamespaceDto(
    string NamespaceId,
    string AppKey,
    string TargetApplicationId,
    ulong CreatedAt,
    string? Name,
    int MemberCount,
    int ContextCount,
    int SubgroupCount,
    string? AppVersion = null,
    string? Identity = null,
    IReadOnlyList<string>? DagHeads = null);

/// <summary>Body of <c>POST /admin-api/namespaces/:id/invite</c>: validity in seconds (default one year).</summary>
public sealed record CreateInvitationRequest(ulong? ExpirationTimestamp = null, bool? Recursive = null, string? Role = null);

/// <summary>The signed invitation, to hand to the joiner out of band.</summary>
public sealed record CreateInvitationResponseData(JsonElement Invitation, string? GroupName = null);

/// <summary>Body of <c>POST /admin-api/namespaces/:id/join</c>.</summary>
public sealed record JoinNamespaceRequest(JsonElement Invitation, string? GroupName = null);

/// <summary>We have no accounts: <c>memberAccount</c> repeats the member key.</summary>
public sealed record JoinNamespaceResponseData(string NamespaceId, string MemberIdentity, string MemberAccount);

public sealed record NamespaceIdentityData(string NamespaceId, string PublicKey);

/// <summary>Answer of <c>POST /admin-api/contexts/:id/join</c> (<c>group join-context</c>).</summary>
public sealed record JoinContextResponseData(string ContextId, string MemberPublicKey);

/// <summary>A group (<c>GET /admin-api/groups/:id</c>); <c>groupStateHash</c> lets clients poll for convergence.</summary>
public sealed record GroupInfoDto(
    string GroupId,
    string AppKey,
    string TargetApplicationId,
    ulong MemberCount,
    ulong ContextCount,
    uint DefaultCapabilities,
    string SubgroupVisibility,
    string GroupStateHash,
    string? NamespaceId = null,
    string? ParentId = null,
    string? Name = null);

public sealed record GroupEntryDto(string GroupId, string? Name = null);

public sealed record GroupContextEntryDto(string ContextId, string? Name = null);

/// <summary>Upstream's member entry (identity, role, name) plus the member's capability bits.</summary>
public sealed record GroupMemberDto(string Identity, string Role, string? Name = null, uint? Capabilities = null);

/// <summary>Not wrapped in <c>data</c>, as upstream's <c>ListGroupMembersApiResponse</c>.</summary>
public sealed record ListGroupMembersResponse(IReadOnlyList<GroupMemberDto> Members);

public sealed record SetMemberCapabilitiesRequest(uint Capabilities);

public sealed record MemberCapabilitiesData(uint Capabilities);

public sealed record UpdateMemberRoleRequest(string Role);

public sealed record RemoveGroupMembersRequest(IReadOnlyList<string> Members);

/// <summary>The empty body upstream answers member changes with.</summary>
public sealed record EmptyResponse;

/// <summary>Answer of <c>DELETE /admin-api/namespaces/:id</c> and <c>DELETE /admin-api/groups/:id</c>.</summary>
public sealed record IsDeletedData(bool IsDeleted);

/// <summary>Answer of <c>POST /admin-api/namespaces/:id/leave</c>.</summary>
public sealed record LeaveNamespaceResponseData(string NamespaceId, string MemberPublicKey);

/// <summary>Answer of <c>POST /admin-api/groups/:id/leave</c>.</summary>
public sealed record LeaveGroupResponseData(string GroupId, string MemberPublicKey);

/// <summary>Body of <c>POST /admin-api/namespaces/:id/groups</c>; visibility is "open" or "restricted" (default, as upstream).</summary>
public sealed record CreateGroupInNamespaceRequest(string? GroupName = null, string? Visibility = null);

public sealed record CreateGroupInNamespaceResponseData(string GroupId);

/// <summary>Not wrapped in <c>data</c>, as upstream's <c>ListSubgroupsApiResponse</c>.</summary>
public sealed record ListSubgroupsResponse(IReadOnlyList<GroupEntryDto> Subgroups);

/// <summary>Body of <c>POST /admin-api/groups/:id/reparent</c> (upstream's ReparentGroupApiRequest).</summary>
public sealed record ReparentGroupRequest(string? NewParentId);

/// <summary>Not wrapped in <c>data</c>, as upstream's ReparentGroupApiResponse; false when the group already had that parent.</summary>
public sealed record ReparentGroupResponse(bool Reparented);

/// <summary>Body of the metadata PUT routes: an absent name keeps the current one; data replaces the record's map.</summary>
public sealed record SetMetadataRequest(string? Name = null, IReadOnlyDictionary<string, string>? Data = null);

/// <summary>A metadata record (upstream's MetadataRecord without its local apply time and signer).</summary>
public sealed record MetadataRecordDto(string? Name, IReadOnlyDictionary<string, string> Data);

/// <summary>Answer of the metadata GET routes: <c>{"data": record}</c>, or <c>{"data": null}</c> when never set.</summary>
public sealed record GetMetadataResponse([property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.Never)] MetadataRecordDto? Data);

/// <summary>Body of <c>POST /admin-api/groups/:id/transfer-ownership</c> (not an upstream route; upstream has the op only).</summary>
public sealed record TransferOwnershipRequest(string? NewOwner);

/// <summary>Answer of the ownership routes: the group and its owner after the call.</summary>
public sealed record GroupOwnerData(string GroupId, string Owner);
