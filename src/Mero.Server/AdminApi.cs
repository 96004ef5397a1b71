using Mero.Api;
using Mero.Node;
using Mero.Node.Applications;
using Mero.Node.Contexts;
using Mero.Primitives;
using Mero.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Mero.Server;

/// <summary>The admin REST API under <c>/admin-api</c>, with upstream's paths and JSON shapes.</summary>
public static class AdminApi
{
    public static IEndpointRouteBuilder MapAdminApi(this IEndpointRouteBuilder routes)
    {
        var admin = routes.MapGroup("/admin-api");
        admin.MapGet("/health", (MeroStore store) => store.Ping()
            ? HttpJson.Data(new HealthStatus("alive"))
            : Results.Json(new DataResponse<HealthStatus>(new HealthStatus("store_unavailable")), ApiJson.Options, statusCode: 503));

        admin.MapPost("/install-dev-application", InstallDevApplication);
        admin.MapPost("/install-application/upload", UploadApplication).DisableAntiforgery();
        admin.MapGet("/applications", (ApplicationManager apps) =>
            HttpJson.Data(new ListApplicationsData([.. apps.List().Select(ToDto)])));
        admin.MapGet("/applications/{id}", (string id, ApplicationManager apps) =>
            HttpJson.TryParseId<IdKinds.Application>(id, out var appId, out var error)
                ? HttpJson.Data(new GetApplicationData(apps.Get(appId) is { } app ? ToDto(app) : null))
                : error!);

        admin.MapPost("/contexts", CreateContext);
        admin.MapGet("/contexts", (ContextManager contexts) =>
            HttpJson.Data(new ListContextsData([.. contexts.List().Select(c => ToDto(c, contexts))])));
        admin.MapGet("/contexts/{id}", (string id, ContextManager contexts) =>
        {
            if (!HttpJson.TryParseId<IdKinds.Context>(id, out var contextId, out var error))
            {
                return error!;
            }

            return contexts.Get(contextId) is { } context
                ? HttpJson.Data(ToDto(context, contexts))
                : HttpJson.Error(StatusCodes.Status404NotFound, "Context not found");
        });
        admin.MapGet("/contexts/{id}/identities", (string id, ContextManager contexts) =>
        {
            if (!HttpJson.TryParseId<IdKinds.Context>(id, out var contextId, out var error))
            {
                return error!;
            }

            return contexts.Get(contextId) is null
                ? HttpJson.Error(StatusCodes.Status404NotFound, "Context not found")
                : HttpJson.Data(new ContextIdentitiesData([.. contexts.Identities(contextId).Select(i => i.PublicKey.ToString())]));
        });
        admin.MapDelete("/contexts/{id}", async (string id, ContextManager contexts, CancellationToken ct) =>
        {
            if (!HttpJson.TryParseId<IdKinds.Context>(id, out var contextId, out var error))
            {
                return error!;
            }

            return await contexts.DeleteAsync(contextId, ct).ConfigureAwait(false)
                ? HttpJson.Data(new DeleteContextData(true))
                : HttpJson.Error(StatusCodes.Status404NotFound, "Context not found");
        });
        routes.MapGovernanceApi();
        routes.MapBlobApi();
        routes.MapOpsApi();
        routes.MapAliasApi().MapContextLocalApi();
        return routes;
    }

    private static async Task<IResult> InstallDevApplication(HttpRequest request, ApplicationManager apps, CancellationToken ct)
    {
        var (body, error) = await HttpJson.ReadBodyAsync<InstallDevApplicationRequest>(request, ct).ConfigureAwait(false);
        if (body is null)
        {
            return error!;
        }

        try
        {
            var id = await apps.InstallFromPathAsync(body.Path, body.Metadata, body.Package, body.Version, ct).ConfigureAwait(false);
            return HttpJson.Data(new InstallApplicationResponseData(id.ToString()));
        }
        catch (NodeException ex)
        {
            return HttpJson.FromNodeException(ex);
        }
    }

    private static async Task<IResult> UploadApplication(HttpRequest request, ApplicationManager apps, CancellationToken ct)
    {
        if (!request.HasFormContentType)
        {
            return HttpJson.Error(StatusCodes.Status400BadRequest, "expected multipart/form-data with a 'file' part");
        }

        var form = await request.ReadFormAsync(ct).ConfigureAwait(false);
        var file = form.Files.GetFile("file");
        if (file is null || file.Length == 0)
        {
            return HttpJson.Error(StatusCodes.Status400BadRequest, "the form has no non-empty 'file' part");
        }

        if (file.Length > MaxUploadBytes)
        {
            return HttpJson.Error(StatusCodes.Status413PayloadTooLarge, $"application is {file.Length} bytes, over the {MaxUploadBytes}-byte limit");
        }

        var bytes = new byte[file.Length];
        await using (var stream = file.OpenReadStream())
        {
            await stream.ReadExactlyAsync(bytes, ct).ConfigureAwait(false);
        }

        var metadata = form.TryGetValue("metadata", out var text) ? System.Text.Encoding.UTF8.GetBytes(text.ToString()) : [];
        try
        {
            var id = apps.Install(bytes, $"upload:{file.FileName}", metadata, form["package"].FirstOrDefault(), form["version"].FirstOrDefault());
            return HttpJson.Data(new InstallApplicationResponseData(id.ToString()));
        }
        catch (NodeException ex)
        {
            return HttpJson.FromNodeException(ex);
        }
    }

    private static async Task<IResult> CreateContext(HttpRequest request, ContextManager contexts, CancellationToken ct)
    {
        var (body, error) = await HttpJson.ReadBodyAsync<CreateContextRequest>(request, ct).ConfigureAwait(false);
        if (body is null)
        {
            return error!;
        }

        if (!HttpJson.TryParseId<IdKinds.Application>(body.ApplicationId ?? "", out var appId, out var idError))
        {
            return idError!;
        }

        Hash? seed = null;
        if (body.ContextSeed is not null)
        {
            if (!HttpJson.TryParseId<IdKinds.Hash>(body.ContextSeed, out var parsed, out var seedError))
            {
                return seedError!;
            }

            seed = parsed;
        }

        try
        {
            var created = await contexts.CreateAsync(appId, body.InitializationParams, seed, body.Name, ct).ConfigureAwait(false);
            return HttpJson.Data(new CreateContextResponseData(created.ContextId.ToString(), created.MemberPublicKey.ToString()));
        }
        catch (NodeException ex)
        {
            return HttpJson.FromNodeException(ex);
        }
    }

    private const long MaxUploadBytes = 20 * 1024 * 1024;

    private static ApplicationDto ToDto(ApplicationRecord app) => new(
        app.Id.ToString(),
        new ApplicationBlob(app.Blob.ToString(), app.Blob.ToString()),
        app.Size,
        app.Source,
        app.Metadata,
        app.Package,
        app.Version);

    internal static ContextDto ToDto(ContextRecord context, ContextManager contexts) => new(
        context.Id.ToString(),
        context.ApplicationId.ToString(),
        context.RootHash.ToString(),
        DagHeads: [.. contexts.Heads(context.Id).Select(h => h.ToString())],
        Name: context.Name);
}
