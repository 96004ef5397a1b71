using Mero.Api;
using Mero.Node.Contexts;
using Mero.Primitives;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Mero.Server;

/// <summary>
/// Node-local context routes (upstream's paths): leave without a governance op, the identities this
/// node owns in a context, and the context's storage size. Unknown contexts are 404 on all three.
/// </summary>
public static class ContextLocalApi
{
    public static IEndpointRouteBuilder MapContextLocalApi(this IEndpointRouteBuilder routes)
    {
        var contexts = routes.MapGroup("/admin-api/contexts");
        contexts.MapPost("/{id}/leave", async (string id, ContextManager manager, CancellationToken ct) =>
        {
            if (!HttpJson.TryParseId<IdKinds.Context>(id, out var contextId, out var error))
            {
                return error!;
            }

            var result = await manager.LeaveAsync(contextId, ct).ConfigureAwait(false);
            return result.Status switch
            {
                LeaveStatus.Left => HttpJson.Data(new LeaveContextData(contextId.ToString(), result.MemberPublicKey!.Value.ToString())),
                LeaveStatus.NotFound => HttpJson.Error(StatusCodes.Status404NotFound, "Context not found"),
                _ => HttpJson.Error(StatusCodes.Status409Conflict, $"this node holds no identity in context {contextId} (never joined here, or already left)"),
            };
        });
        contexts.MapGet("/{id}/identities-owned", (string id, ContextManager manager) =>
        {
            if (!HttpJson.TryParseId<IdKinds.Context>(id, out var contextId, out var error))
            {
                return error!;
            }

            return manager.Get(contextId) is null
                ? HttpJson.Error(StatusCodes.Status404NotFound, "Context not found")
                : HttpJson.Data(new ContextIdentitiesData([.. manager.Identities(contextId).Where(i => i.IsOwned).Select(i => i.PublicKey.ToString())]));
        });
        contexts.MapGet("/{id}/storage", (string id, ContextManager manager) =>
        {
            if (!HttpJson.TryParseId<IdKinds.Context>(id, out var contextId, out var error))
            {
                return error!;
            }

            return manager.StorageSize(contextId) is { } size
                ? HttpJson.Data(new ContextStorageData(size))
                : HttpJson.Error(StatusCodes.Status404NotFound, "Context not found");
        });
        return routes;
    }
}
