using Mero.Api;

namespace Mero.Client;

/// <summary>Operator routes: peers, network status, explicit sync, application uninstall.</summary>
public sealed partial class MeroClient
{
    /// <summary><c>GET /admin-api/peers</c>: the number of connected peers (a bare <c>{"count":N}</c>, as upstream).</summary>
    public async Task<PeersCountResponse> GetPeersCountAsync(CancellationToken ct = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, Url("admin-api/peers"));
        return await SendForBodyAsync<PeersCountResponse>(request, ct).ConfigureAwait(false);
    }

    /// <summary><c>GET /admin-api/network/status</c> (bare JSON, as upstream).</summary>
    public async Task<NetworkStatusResponse> GetNetworkStatusAsync(CancellationToken ct = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, Url("admin-api/network/status"));
        return await SendForBodyAsync<NetworkStatusResponse>(request, ct).ConfigureAwait(false);
    }

    /// <summary><c>POST /admin-api/contexts/sync[/:id]</c>: one sync round for the context, or all when <paramref name="contextId"/> is null.</summary>
    public async Task<SyncContextsData> SyncContextsAsync(string? contextId = null, CancellationToken ct = default)
    {
        var path = contextId is null ? "admin-api/contexts/sync" : $"admin-api/contexts/sync/{Segment(contextId)}";
        using var request = new HttpRequestMessage(HttpMethod.Post, Url(path));
        return await SendForDataAsync<SyncContextsData>(request, ct).ConfigureAwait(false);
    }

    /// <summary><c>DELETE /admin-api/applications/:id</c>; 404 when not installed, 409 while contexts use it.</summary>
    public async Task<UninstallApplicationData> UninstallApplicationAsync(string applicationId, CancellationToken ct = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Delete, Url($"admin-api/applications/{Segment(applicationId)}"));
        return await SendForDataAsync<UninstallApplicationData>(request, ct).ConfigureAwait(false);
    }

    /// <summary><c>GET /admin-api/contexts/for-application/:id</c>.</summary>
    public Task<ListContextsData> ListContextsForApplicationAsync(string applicationId, CancellationToken ct = default) =>
        GetAsync<ListContextsData>($"admin-api/contexts/for-application/{Segment(applicationId)}", ct);
}
