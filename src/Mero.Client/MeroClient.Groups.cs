using Mero.Api;

namespace Mero.Client;

/// <summary>Group settings, member adds, context detach, sync and the context-group / namespaces-for-application lookups.</summary>
public sealed partial class MeroClient
{
    /// <summary><c>group settings set-default-caps</c>: capabilities new members of the group get (admins only).</summary>
    public async Task SetDefaultCapabilitiesAsync(string groupId, uint defaultCapabilities, CancellationToken ct = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, Url($"admin-api/groups/{Segment(groupId)}/settings/default-capabilities"))
        {
            Content = JsonBody(new SetDefaultCapabilitiesRequest(defaultCapabilities)),
        };
        await SendForBodyAsync<EmptyResponse>(request, ct).ConfigureAwait(false);
    }

    /// <summary><c>group settings set-subgroup-vis</c>: "open" or "restricted".</summary>
    public async Task SetSubgroupVisibilityAsync(string groupId, string visibility, CancellationToken ct = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, Url($"admin-api/groups/{Segment(groupId)}/settings/subgroup-visibility"))
        {
            Content = JsonBody(new SetSubgroupVisibilityRequest(visibility)),
        };
        await SendForBodyAsync<EmptyResponse>(request, ct).ConfigureAwait(false);
    }

    /// <summary><c>PATCH /admin-api/groups/:id</c>: the given settings; answers the group after the change.</summary>
    public async Task<GroupInfoDto> UpdateGroupSettingsAsync(string groupId, UpdateGroupSettingsRequest body, CancellationToken ct = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Patch, Url($"admin-api/groups/{Segment(groupId)}")) { Content = JsonBody(body) };
        return await SendForDataAsync<GroupInfoDto>(request, ct).ConfigureAwait(false);
    }

    /// <summary><c>group members add</c>: members of the namespace, each with a role.</summary>
    public async Task AddGroupMembersAsync(string groupId, AddGroupMembersRequest body, CancellationToken ct = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, Url($"admin-api/groups/{Segment(groupId)}/members")) { Content = JsonBody(body) };
        await SendForBodyAsync<EmptyResponse>(request, ct).ConfigureAwait(false);
    }

    /// <summary><c>group contexts detach</c>: unregisters a context from the group.</summary>
    public async Task DetachContextFromGroupAsync(string groupId, string contextId, CancellationToken ct = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, Url($"admin-api/groups/{Segment(groupId)}/contexts/{Segment(contextId)}/remove"))
        {
            Content = JsonBody(new EmptyResponse()),
        };
        await SendForBodyAsync<EmptyResponse>(request, ct).ConfigureAwait(false);
    }

    /// <summary><c>group sync</c>: catches the group's namespace up from its peers now.</summary>
    public Task<SyncGroupResponseData> SyncGroupAsync(string groupId, CancellationToken ct = default) =>
        PostJsonAsync<EmptyResponse, SyncGroupResponseData>($"admin-api/groups/{Segment(groupId)}/sync", new EmptyResponse(), ct);

    /// <summary>The group a context is registered in; null when it is in none.</summary>
    public async Task<string?> GetContextGroupAsync(string contextId, CancellationToken ct = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, Url($"admin-api/contexts/{Segment(contextId)}/group"));
        return (await SendForBodyAsync<GetContextGroupResponse>(request, ct).ConfigureAwait(false)).Data;
    }

    public Task<List<NamespaceDto>> ListNamespacesForApplicationAsync(string applicationId, CancellationToken ct = default) =>
        GetAsync<List<NamespaceDto>>($"admin-api/namespaces/for-application/{Segment(applicationId)}", ct);
}
