using Mero.Api;
using Mero.Network.Host;
using Mero.Node.Applications;
using Mero.Node.Contexts;
using Mero.Node.Network;
using Mero.Node.Replication;
using Mero.Primitives;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Mero.Server;

/// <summary>
/// Operator routes: peer count, network status, explicit sync, application uninstall and contexts
/// of an application. Paths are upstream's; <c>/peers</c> and <c>/network/status</c> are bare JSON there, so here too.
/// </summary>
public static class OpsApi
{
    public static IEndpointRouteBuilder MapOpsApi(this IEndpointRouteBuilder routes)
    {
        var admin = routes.MapGroup("/admin-api");
        admin.MapGet("/peers", (HttpContext http) =>
            Results.Json(new PeersCountResponse(Swarm(http) is { } host ? ConnectedPeers(host).Select(c => c.RemotePeer).Distinct().Count() : 0), ApiJson.Options));
        admin.MapGet("/network/status", NetworkStatus);
        admin.MapPost("/contexts/sync", (ContextManager contexts, ReplicationService replication, CancellationToken ct) =>
            SyncAsync([.. contexts.List().Select(c => c.Id)], contexts, replication, ct));
        admin.MapPost("/contexts/sync/{id}", (string id, ContextManager contexts, ReplicationService replication, CancellationToken ct) =>
        {
            if (!HttpJson.TryParseId<IdKinds.Context>(id, out var contextId, out var error))
            {
                return Task.FromResult(error!);
            }

            return contexts.Get(contextId) is null
                ? Task.FromResult(HttpJson.Error(StatusCodes.Status404NotFound, "Context not found"))
                : SyncAsync([contextId], contexts, replication, ct);
        });
        admin.MapDelete("/applications/{id}", (string id, ApplicationManager apps, ContextManager contexts) =>
        {
            if (!HttpJson.TryParseId<IdKinds.Application>(id, out var appId, out var error))
            {
                return error!;
            }

            if (apps.Get(appId) is null)
            {
                return HttpJson.Error(StatusCodes.Status404NotFound, "Application not found");
            }

            // Upstream drops the record regardless; a context left without its bytecode can no longer
            // execute or answer sync, so we refuse until its contexts are deleted.
            var users = contexts.List().Count(c => c.ApplicationId == appId);
            if (users > 0)
            {
                return HttpJson.Error(
                    StatusCodes.Status409Conflict,
                    $"application {appId} is used by {users} context{(users == 1 ? "" : "s")}: delete {(users == 1 ? "it" : "them")} first (GET /admin-api/contexts/for-application/{appId} lists them)");
            }

            return apps.Uninstall(appId)
                ? HttpJson.Data(new UninstallApplicationData(appId.ToString()))
                : HttpJson.Error(StatusCodes.Status404NotFound, "Application not found");
        });
        admin.MapGet("/contexts/for-application/{id}", (string id, ContextManager contexts) =>
        {
            if (!HttpJson.TryParseId<IdKinds.Application>(id, out var appId, out var error))
            {
                return error!;
            }

            // Like upstream, an application with no contexts (or not installed) gives an empty list.
            return HttpJson.Data(new ListContextsData([.. contexts.List()
                .Where(c => c.ApplicationId == appId)
                .Select(c => AdminApi.ToDto(c, contexts))]));
        });
        return routes;
    }

    private static async Task<IResult> NetworkStatus(HttpContext http, CancellationToken ct)
    {
        var swarm = http.RequestServices.GetService<SwarmService>();
        if (swarm?.Node is not { } node)
        {
            return HttpJson.Error(StatusCodes.Status503ServiceUnavailable, "the node runs without a swarm ([swarm] listen is empty)");
        }

        var host = node.Host;
        var peers = ConnectedPeers(host)
            .GroupBy(c => c.RemotePeer)
            .OrderBy(g => g.Key.ToString(), StringComparer.Ordinal)
            .Select(g => new ConnectedPeerDto(
                g.Key.ToString(),
                [.. g.Select(c => c.RemoteAddress.ToString()).Distinct()],
                [.. g.Select(c => c.Direction == ConnectionDirection.Inbound ? "inbound" : "outbound").Distinct()],
                host.GetPeerInfo(g.Key)?.AgentVersion))
            .ToList();
        var topics = await node.Gossipsub.SubscribedTopicsAsync(ct).ConfigureAwait(false);
        return Results.Json(
            new NetworkStatusResponse(
                host.PeerId.ToString(),
                [.. host.ListenAddresses.Select(a => a.ToString())],
                [.. host.AnnouncedAddresses().Select(a => a.ToString())],
                peers,
                topics),
            ApiJson.Options);
    }

    private static async Task<IResult> SyncAsync(IReadOnlyList<ContextId> ids, ContextManager contexts, ReplicationService replication, CancellationToken ct)
    {
        var results = await replication.SyncNowAsync(ids, ct).ConfigureAwait(false);
        var dtos = results.Select(r => new ContextSyncDto(
            r.ContextId.ToString(),
            StatusName(r.Status),
            r.PeersAsked,
            r.PeersOk,
            contexts.Get(r.ContextId)?.RootHash.ToString())).ToList();
        return HttpJson.Data(new SyncContextsData(
            dtos.Count,
            results.Count(r => r.Status == ExplicitSyncStatus.Synced),
            results.Count(r => r.Status is ExplicitSyncStatus.Failed or ExplicitSyncStatus.Offline),
            results.Count(r => r.Status == ExplicitSyncStatus.NoPeers),
            dtos));
    }

    private static string StatusName(ExplicitSyncStatus status) => status switch
    {
        ExplicitSyncStatus.Synced => "synced",
        ExplicitSyncStatus.Failed => "failed",
        ExplicitSyncStatus.NoPeers => "no_peers",
        _ => "offline",
    };

    private static Libp2pHost? Swarm(HttpContext http) => http.RequestServices.GetService<SwarmService>()?.Host;

    private static IEnumerable<Libp2pConnection> ConnectedPeers(Libp2pHost host) =>
        host.Connections.Where(c => !c.IsClosed).DistinctBy(c => c.Id);
}
