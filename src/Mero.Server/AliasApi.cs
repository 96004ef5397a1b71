using Mero.Api;
using Mero.Node.Aliases;
using Mero.Node.Applications;
using Mero.Node.Contexts;
using Mero.Primitives;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Mero.Server;

/// <summary>
/// Node-global aliases under <c>/admin-api/alias</c>, upstream's paths and shapes: lookup and delete
/// are POST; create and delete answer <c>{"data":null}</c>; lookup of an unknown name is
/// <c>{"value":null}</c>; delete of an unknown name succeeds. Beyond upstream: an alias to a
/// context or application this node does not have is refused (404), and an alias whose target
/// vanished in a race with its deletion reads as absent.
/// </summary>
public static class AliasApi
{
    public static IEndpointRouteBuilder MapAliasApi(this IEndpointRouteBuilder routes)
    {
        var alias = routes.MapGroup("/admin-api/alias");
        alias.MapPost("/create/context", CreateContextAlias);
        alias.MapPost("/create/application", CreateApplicationAlias);
        alias.MapPost("/lookup/context/{name}", (string name, AliasStore aliases, ContextManager contexts) => Lookup(AliasKind.Context, name, aliases, contexts, null));
        alias.MapPost("/lookup/application/{name}", (string name, AliasStore aliases, ApplicationManager apps) => Lookup(AliasKind.Application, name, aliases, null, apps));
        alias.MapPost("/delete/context/{name}", (string name, AliasStore aliases) => Delete(AliasKind.Context, name, aliases));
        alias.MapPost("/delete/application/{name}", (string name, AliasStore aliases) => Delete(AliasKind.Application, name, aliases));
        alias.MapGet("/list/context", (AliasStore aliases, ContextManager contexts) => List(AliasKind.Context, aliases, contexts, null));
        alias.MapGet("/list/application", (AliasStore aliases, ApplicationManager apps) => List(AliasKind.Application, aliases, null, apps));
        return routes;
    }

    private static async Task<IResult> CreateContextAlias(HttpRequest request, AliasStore aliases, ContextManager contexts, CancellationToken ct)
    {
        var (body, error) = await HttpJson.ReadBodyAsync<CreateContextAliasRequest>(request, ct).ConfigureAwait(false);
        if (body is null)
        {
            return error!;
        }

        if (AliasStore.Validate(AliasKind.Context, body.Alias) is { } invalid)
        {
            return HttpJson.Error(StatusCodes.Status400BadRequest, invalid);
        }

        if (!HttpJson.TryParseId<IdKinds.Context>(body.ContextId ?? "", out var contextId, out var idError))
        {
            return idError!;
        }

        return contexts.Get(contextId) is null
            ? HttpJson.Error(StatusCodes.Status404NotFound, $"context {contextId} not found")
            : Created(aliases.Create(AliasKind.Context, body.Alias!, contextId.AsSpan()), body.Alias!);
    }

    private static async Task<IResult> CreateApplicationAlias(HttpRequest request, AliasStore aliases, ApplicationManager apps, CancellationToken ct)
    {
        var (body, error) = await HttpJson.ReadBodyAsync<CreateApplicationAliasRequest>(request, ct).ConfigureAwait(false);
        if (body is null)
        {
            return error!;
        }

        if (AliasStore.Validate(AliasKind.Application, body.Alias) is { } invalid)
        {
            return HttpJson.Error(StatusCodes.Status400BadRequest, invalid);
        }

        if (!HttpJson.TryParseId<IdKinds.Application>(body.ApplicationId ?? "", out var appId, out var idError))
        {
            return idError!;
        }

        return apps.Get(appId) is null
            ? HttpJson.Error(StatusCodes.Status404NotFound, $"application {appId} not found")
            : Created(aliases.Create(AliasKind.Application, body.Alias!, appId.AsSpan()), body.Alias!);
    }

    private static IResult Created(AliasCreateResult result, string name) => result == AliasCreateResult.Created
        ? EmptyData()
        : HttpJson.Error(StatusCodes.Status409Conflict, $"alias '{name}' already exists");

    private static IResult Lookup(AliasKind kind, string name, AliasStore aliases, ContextManager? contexts, ApplicationManager? apps)
    {
        if (AliasStore.Validate(kind, name) is { } invalid)
        {
            return HttpJson.Error(StatusCodes.Status400BadRequest, invalid);
        }

        var target = aliases.Lookup(kind, name);
        return HttpJson.Data(new LookupAliasData(target is not null && Exists(kind, target, contexts, apps) ? Text(kind, target) : null));
    }

    private static IResult Delete(AliasKind kind, string name, AliasStore aliases)
    {
        if (AliasStore.Validate(kind, name) is { } invalid)
        {
            return HttpJson.Error(StatusCodes.Status400BadRequest, invalid);
        }

        aliases.Delete(kind, name);
        return EmptyData();
    }

    private static IResult List(AliasKind kind, AliasStore aliases, ContextManager? contexts, ApplicationManager? apps)
    {
        var map = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, target) in aliases.List(kind))
        {
            if (Exists(kind, target, contexts, apps))
            {
                map[name] = Text(kind, target);
            }
        }

        return HttpJson.Data(map);
    }

    private static bool Exists(AliasKind kind, byte[] target, ContextManager? contexts, ApplicationManager? apps) =>
        target.Length == 32 && (kind == AliasKind.Context
            ? contexts!.Get(ContextId.FromBytes(target)) is not null
            : apps!.Get(ApplicationId.FromBytes(target)) is not null);

    private static string Text(AliasKind kind, byte[] target) =>
        kind == AliasKind.Context ? ContextId.FromBytes(target).ToString() : ApplicationId.FromBytes(target).ToString();

    // Upstream's `Empty` data serializes as null; ApiJson drops nulls, so this one is written by hand.
    private static IResult EmptyData() => Results.Text("""{"data":null}""", "application/json");
}
