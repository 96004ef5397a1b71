using System.Globalization;
using Mero.Api;
using Mero.Governance;
using Mero.Node;
using Mero.Node.Governance;
using Mero.Primitives;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Mero.Server;

/// <summary>
/// Group settings, member adds, context detach, explicit sync, and the context-group and
/// namespaces-for-application lookups (upstream's paths and JSON shapes; docs/operations.md
/// "Group settings, member adds, detach and sync").
/// </summary>
public static partial class GovernanceApi
{
    private const int DefaultPageSize = 100;

    private static void MapSettingsRoutes(RouteGroupBuilder admin)
    {
        admin.MapPut("/groups/{id}/settings/default-capabilities", SetDefaultCapabilities);
        admin.MapPut("/groups/{id}/settings/subgroup-visibility", SetSubgroupVisibility);
        admin.MapMethods("/groups/{id}", ["PATCH"], UpdateGroupSettings);
        admin.MapPost("/groups/{id}/members", AddMembers);
        admin.MapPost("/groups/{id}/contexts/{context}/remove", (string id, string context, GovernanceService gov, CancellationToken ct) =>
            WithContext(id, context, async (g, c) =>
            {
                await gov.DetachContextAsync(g, c, ct).ConfigureAwait(false);
                return Empty();
            }));
        admin.MapPost("/groups/{id}/sync", (string id, GovernanceService gov, CancellationToken ct) =>
            WithGroup(id, async g =>
            {
                var synced = await gov.SyncGroupAsync(g, ct).ConfigureAwait(false);
                var ns = await gov.GetNamespaceAsync(synced.Group.Namespace, ct).ConfigureAwait(false);
                var app = ns.TargetApplication?.ToString() ?? "";
                return HttpJson.Data(new SyncGroupResponseData(
                    g.ToString(),
                    app,
                    app,
                    (ulong)synced.Group.MemberCount,
                    (ulong)synced.Group.ContextCount,
                    synced.PeersAsked,
                    synced.PeersFailed,
                    synced.OpsFetched,
                    Convert.ToHexString(synced.Group.StateHash.AsSpan()).ToLowerInvariant()));
            }));
        admin.MapGet("/contexts/{id}/group", async (string id, GovernanceService gov, CancellationToken ct) =>
        {
            if (!HttpJson.TryParseId<IdKinds.Context>(id, out var context, out var error))
            {
                return error!;
            }

            var group = await gov.GroupOfContextAsync(context, ct).ConfigureAwait(false);
            return Results.Json(new GetContextGroupResponse(group?.ToString()), ApiJson.Options);
        });
        admin.MapGet("/namespaces/for-application/{applicationId}", ListNamespacesForApplication);
    }

    private static async Task<IResult> SetDefaultCapabilities(string id, HttpRequest request, GovernanceService gov, CancellationToken ct)
    {
        var (body, error) = await HttpJson.ReadBodyAsync<SetDefaultCapabilitiesRequest>(request, ct).ConfigureAwait(false);
        if (body is null)
        {
            return error!;
        }

        if (body.DefaultCapabilities is not { } caps)
        {
            return HttpJson.Error(StatusCodes.Status400BadRequest, "body needs 'defaultCapabilities': the capability bits (u32)");
        }

        return await WithGroup(id, async g =>
        {
            await gov.SetDefaultCapabilitiesAsync(g, (Capabilities)caps, ct).ConfigureAwait(false);
            return Empty();
        }).ConfigureAwait(false);
    }

    private static async Task<IResult> SetSubgroupVisibility(string id, HttpRequest request, GovernanceService gov, CancellationToken ct)
    {
        var (body, error) = await HttpJson.ReadBodyAsync<SetSubgroupVisibilityRequest>(request, ct).ConfigureAwait(false);
        if (body is null)
        {
            return error!;
        }

        if (ParseVisibility(body.SubgroupVisibility) is not { } visibility)
        {
            return HttpJson.Error(StatusCodes.Status400BadRequest, $"subgroupVisibility '{HttpJson.Truncate(body.SubgroupVisibility)}' must be 'open' or 'restricted'");
        }

        return await WithGroup(id, async g =>
        {
            await gov.SetSubgroupVisibilityAsync(g, visibility, ct).ConfigureAwait(false);
            return Empty();
        }).ConfigureAwait(false);
    }

    private static async Task<IResult> UpdateGroupSettings(string id, HttpRequest request, GovernanceService gov, CancellationToken ct)
    {
        var (body, error) = await HttpJson.ReadBodyAsync<UpdateGroupSettingsRequest>(request, ct).ConfigureAwait(false);
        if (body is null)
        {
            return error!;
        }

        Visibility? visibility = null;
        if (body.SubgroupVisibility is not null && (visibility = ParseVisibility(body.SubgroupVisibility)) is null)
        {
            return HttpJson.Error(StatusCodes.Status400BadRequest, $"subgroupVisibility '{HttpJson.Truncate(body.SubgroupVisibility)}' must be 'open' or 'restricted'");
        }

        Visibility? defaultVisibility = null;
        if (body.DefaultSubgroupVisibility is not null && (defaultVisibility = ParseVisibility(body.DefaultSubgroupVisibility)) is null)
        {
            return HttpJson.Error(StatusCodes.Status400BadRequest, $"defaultSubgroupVisibility '{HttpJson.Truncate(body.DefaultSubgroupVisibility)}' must be 'open' or 'restricted'");
        }

        var update = new GroupSettingsUpdate((Capabilities?)body.DefaultCapabilities, visibility, defaultVisibility, body.Name);
        return await WithGroup(id, async g => HttpJson.Data(ToDto(await gov.UpdateGroupSettingsAsync(g, update, ct).ConfigureAwait(false)))).ConfigureAwait(false);
    }

    private static async Task<IResult> AddMembers(string id, HttpRequest request, GovernanceService gov, CancellationToken ct)
    {
        var (body, error) = await HttpJson.ReadBodyAsync<AddGroupMembersRequest>(request, ct).ConfigureAwait(false);
        if (body is null)
        {
            return error!;
        }

        if (body.Members is not { Count: > 0 })
        {
            return HttpJson.Error(StatusCodes.Status400BadRequest, "members must name at least one {identity, role}");
        }

        var members = new List<MemberToAdd>();
        foreach (var entry in body.Members)
        {
            if (entry is null)
            {
                return HttpJson.Error(StatusCodes.Status400BadRequest, "members entries must be objects");
            }

            if (!HttpJson.TryParseId<IdKinds.PublicKey>(entry.Identity ?? "", out var key, out var keyError))
            {
                return keyError!;
            }

            var role = GroupRole.Member;
            if (entry.Role is { } text && !TryParseRole(text, out role))
            {
                return RoleError(text);
            }

            members.Add(new MemberToAdd(key, role));
        }

        return await WithGroup(id, async g =>
        {
            await gov.AddMembersAsync(g, members, ct).ConfigureAwait(false);
            return Empty();
        }).ConfigureAwait(false);
    }

    private static async Task<IResult> ListNamespacesForApplication(string applicationId, HttpRequest request, GovernanceService gov, CancellationToken ct)
    {
        if (!HttpJson.TryParseId<IdKinds.Application>(applicationId, out var app, out var error))
        {
            return error!;
        }

        if (!TryQueryInt(request, "offset", 0, out var offset) || !TryQueryInt(request, "limit", DefaultPageSize, out var limit))
        {
            return HttpJson.Error(StatusCodes.Status400BadRequest, "offset and limit must be non-negative integers");
        }

        return await Guard(async () => HttpJson.Data((await gov.ListNamespacesForApplicationAsync(app, ct).ConfigureAwait(false))
            .Skip(offset).Take(limit).Select(ToDto).ToList())).ConfigureAwait(false);
    }

    private static bool TryQueryInt(HttpRequest request, string name, int fallback, out int value)
    {
        value = fallback;
        return request.Query[name].FirstOrDefault() is not { } text
            || int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }

    private static Visibility? ParseVisibility(string? text) => text?.ToLowerInvariant() switch
    {
        "open" => Visibility.Open,
        "restricted" => Visibility.Restricted,
        _ => null,
    };
}
