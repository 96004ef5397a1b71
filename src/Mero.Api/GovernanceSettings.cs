using System.Text.Json.Serialization;

namespace Mero.Api;

// Group settings, member adds, detach, sync and the context/application lookups, shaped as
// upstream's server primitives (AddGroupMembersApiRequest, SetDefaultCapabilitiesApiRequest,
// SetSubgroupVisibilityApiRequest, SyncGroupApiResponseData, GetContextGroupApiResponse).

/// <summary>One entry of <c>POST /admin-api/groups/:id/members</c>: a member key and its role (default Member).</summary>
public sealed record GroupMemberInput(string? Identity, string? Role = null);

/// <summary>Body of <c>POST /admin-api/groups/:id/members</c>; answered with <c>{}</c> as upstream.</summary>
public sealed record AddGroupMembersRequest(IReadOnlyList<GroupMemberInput>? Members);

/// <summary>Body of <c>PUT /admin-api/groups/:id/settings/default-capabilities</c>.</summary>
public sealed record SetDefaultCapabilitiesRequest(uint? DefaultCapabilities);

/// <summary>Body of <c>PUT /admin-api/groups/:id/settings/subgroup-visibility</c>: "open" or "restricted".</summary>
public sealed record SetSubgroupVisibilityRequest(string? SubgroupVisibility);

/// <summary>
/// Body of <c>PATCH /admin-api/groups/:id</c> (upstream documents the route without a body; ours
/// maps each field to one op, see docs/decisions.md). Absent fields are left unchanged.
/// </summary>
public sealed record UpdateGroupSettingsRequest(
    uint? DefaultCapabilities = null,
    string? SubgroupVisibility = null,
    string? DefaultSubgroupVisibility = null,
    string? Name = null);

/// <summary>
/// Answer of <c>POST /admin-api/groups/:id/sync</c>: upstream's fields plus what the catch-up did
/// (peers asked, peers that failed, ops fetched) and the group's state hash after it.
/// </summary>
public sealed record SyncGroupResponseData(
    string GroupId,
    string AppKey,
    string TargetApplicationId,
    ulong MemberCount,
    ulong ContextCount,
    int PeersAsked = 0,
    int PeersFailed = 0,
    int OpsFetched = 0,
    string? GroupStateHash = null);

/// <summary>Answer of <c>GET /admin-api/contexts/:id/group</c>: <c>{"data": groupId}</c>, or <c>{"data": null}</c> for a context in no group.</summary>
public sealed record GetContextGroupResponse([property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? Data);
