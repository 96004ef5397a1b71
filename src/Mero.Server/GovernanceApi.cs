using System.Text.Json;
using Mero.Api;
using Mero.Governance;
using Mero.Node;
using Mero.Node.Contexts;
using Mero.Node.Governance;
using Mero.Primitives;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Mero.Server;

/// <summary>
/// Namespace and group routes of the admin API (upstream's paths and JSON shapes, see
/// docs/governance.md "Node wiring"). Every write goes through <see cref="GovernanceService"/>,
/// which signs, applies and gossips the op.
/// </summary>
public static partial class GovernanceApi
{
    private static readonly TimeSpan DefaultInvitationLifetime = TimeSpan.FromDays(365);

    public static IEndpointRouteBuilder MapGovernanceApi(this IEndpointRouteBuilder routes)
    {
        var admin = routes.MapGroup("/admin-api");
        admin.MapGet("/namespaces", (GovernanceService gov, CancellationToken ct) =>
            Guard(async () => HttpJson.Data((await gov.ListNamespacesAsync(ct).ConfigureAwait(false)).Select(ToDto).ToList())));
        admin.MapPost("/namespaces", CreateNamespace);
        admin.MapGet("/namespaces/{id}", (string id, GovernanceService gov, CancellationToken ct) =>
            WithGroup(id, async ns => HttpJson.Data(ToDto(await gov.GetNamespaceAsync(ns, ct).ConfigureAwait(false)))));
        admin.MapGet("/namespaces/{id}/identity", (string id, GovernanceService gov, CancellationToken ct) =>
            WithGroup(id, async ns => HttpJson.Data(new NamespaceIdentityData(ns.ToString(), (await gov.IdentityAsync(ns, ct).ConfigureAwait(false)).ToString()))));
        admin.MapGet("/namespaces/{id}/groups", (string id, GovernanceService gov, CancellationToken ct) =>
            WithGroup(id, async ns => HttpJson.Data((await gov.ListGroupsAsync(ns, ct).ConfigureAwait(false)).Select(g => new GroupEntryDto(g.Id.ToString(), g.Name)).ToList())));
        admin.MapPost("/namespaces/{id}/invite", Invite);
        admin.MapPost("/namespaces/{id}/join", Join);

        // Not an upstream route: every group of every namespace this node follows (meroctl group ls).
        admin.MapGet("/groups", (GovernanceService gov, CancellationToken ct) =>
            Guard(async () => HttpJson.Data((await gov.ListGroupsAsync(null, ct).ConfigureAwait(false)).Select(ToDto).ToList())));
        admin.MapGet("/groups/{id}", (string id, GovernanceService gov, CancellationToken ct) =>
            WithGroup(id, async g => HttpJson.Data(ToDto(await gov.GetGroupAsync(g, ct).ConfigureAwait(false)))));
        admin.MapGet("/groups/{id}/contexts", (string id, GovernanceService gov, ContextManager contexts, CancellationToken ct) =>
            WithGroup(id, async g => HttpJson.Data((await gov.ListGroupContextsAsync(g, ct).ConfigureAwait(false))
                .Select(c => new GroupContextEntryDto(c.ToString(), contexts.Get(c)?.Name)).ToList())));
        admin.MapGet("/groups/{id}/members", (string id, GovernanceService gov, CancellationToken ct) =>
            WithGroup(id, async g => Results.Json(
                new ListGroupMembersResponse([.. (await gov.ListMembersAsync(g, ct).ConfigureAwait(false)).Select(m => new GroupMemberDto(m.Identity.ToString(), m.Role.ToString(), m.Name, (uint)m.Capabilities))]),
                ApiJson.Options)));
        admin.MapPost("/groups/{id}/members/remove", RemoveMembers);
        admin.MapPut("/groups/{id}/members/{identity}/role", SetRole);
        admin.MapGet("/groups/{id}/members/{identity}/capabilities", (string id, string identity, GovernanceService gov, CancellationToken ct) =>
            WithMember(id, identity, async (g, member) => HttpJson.Data(new MemberCapabilitiesData((uint)await gov.GetCapabilitiesAsync(g, member, ct).ConfigureAwait(false)))));
        admin.MapPut("/groups/{id}/members/{identity}/capabilities", SetCapabilities);
        // Leave, delete and subgroups (upstream's routes; docs/governance.md "Leave and delete").
        admin.MapDelete("/namespaces/{id}", (string id, GovernanceService gov, CancellationToken ct) =>
            WithGroup(id, async ns =>
            {
                await gov.DeleteNamespaceAsync(ns, ct).ConfigureAwait(false);
                return HttpJson.Data(new IsDeletedData(true));
            }));
        admin.MapPost("/namespaces/{id}/leave", (string id, GovernanceService gov, CancellationToken ct) =>
            WithGroup(id, async ns => HttpJson.Data(new LeaveNamespaceResponseData(ns.ToString(), (await gov.LeaveNamespaceAsync(ns, ct).ConfigureAwait(false)).ToString()))));
        admin.MapPost("/namespaces/{id}/groups", CreateGroupInNamespace);
        admin.MapGet("/groups/{id}/subgroups", (string id, GovernanceService gov, CancellationToken ct) =>
            WithGroup(id, async g => Results.Json(
                new ListSubgroupsResponse([.. (await gov.ListSubgroupsAsync(g, ct).ConfigureAwait(false)).Select(s => new GroupEntryDto(s.Id.ToString(), s.Name))]),
                ApiJson.Options)));
        admin.MapDelete("/groups/{id}", (string id, GovernanceService gov, CancellationToken ct) =>
            WithGroup(id, async g =>
            {
                await gov.DeleteGroupAsync(g, ct).ConfigureAwait(false);
                return HttpJson.Data(new IsDeletedData(true));
            }));
        admin.MapPost("/groups/{id}/leave", (string id, GovernanceService gov, CancellationToken ct) =>
            WithGroup(id, async g => HttpJson.Data(new LeaveGroupResponseData(g.ToString(), (await gov.LeaveGroupAsync(g, ct).ConfigureAwait(false)).ToString()))));
        // Reparent, metadata (upstream's routes) and ownership transfer (docs/governance.md "Structure and metadata").
        admin.MapPost("/groups/{id}/reparent", Reparent);
        admin.MapGet("/groups/{id}/metadata", (string id, GovernanceService gov, CancellationToken ct) =>
            WithGroup(id, g => GetMetadata(gov, g, MetadataTarget.Group, [], ct)));
        admin.MapPut("/groups/{id}/metadata", (string id, HttpRequest request, GovernanceService gov, CancellationToken ct) =>
            SetMetadata(id, null, request, gov, MetadataTarget.Group, ct));
        admin.MapGet("/groups/{id}/members/{identity}/metadata", (string id, string identity, GovernanceService gov, CancellationToken ct) =>
            WithMember(id, identity, (g, member) => GetMetadata(gov, g, MetadataTarget.Member, member.ToArray(), ct)));
        admin.MapPut("/groups/{id}/members/{identity}/metadata", (string id, string identity, HttpRequest request, GovernanceService gov, CancellationToken ct) =>
            SetMetadata(id, identity, request, gov, MetadataTarget.Member, ct));
        admin.MapGet("/groups/{id}/contexts/{context}/metadata", (string id, string context, GovernanceService gov, CancellationToken ct) =>
            WithContext(id, context, (g, c) => GetMetadata(gov, g, MetadataTarget.Context, c.ToArray(), ct)));
        admin.MapPut("/groups/{id}/contexts/{context}/metadata", (string id, string context, HttpRequest request, GovernanceService gov, CancellationToken ct) =>
            SetMetadata(id, context, request, gov, MetadataTarget.Context, ct));
        // Not an upstream route (upstream has the TransferOwnership op but no endpoint for it).
        admin.MapPost("/groups/{id}/transfer-ownership", TransferOwnership);
        admin.MapPost("/contexts/{id}/join", (string id, GovernanceService gov, CancellationToken ct) =>
        {
            if (!HttpJson.TryParseId<IdKinds.Context>(id, out var context, out var error))
            {
                return Task.FromResult(error!);
            }

            return Guard(async () =>
            {
                var (joined, member) = await gov.JoinContextAsync(context, ct).ConfigureAwait(false);
                return HttpJson.Data(new JoinContextResponseData(joined.ToString(), member.ToString()));
            });
        });
        MapSettingsRoutes(admin);
        return routes;
    }

    private static async Task<IResult> CreateNamespace(HttpRequest request, GovernanceService gov, CancellationToken ct)
    {
        var (body, error) = await HttpJson.ReadBodyAsync<CreateNamespaceRequest>(request, ct).ConfigureAwait(false);
        if (body is null)
        {
            return error!;
        }

        if (!HttpJson.TryParseId<IdKinds.Application>(body.ApplicationId ?? "", out var app, out var idError))
        {
            return idError!;
        }

        return await Guard(async () =>
        {
            var created = await gov.CreateNamespaceAsync(app, body.InitializationParams, body.Name, ct).ConfigureAwait(false);
            return HttpJson.Data(new CreateNamespaceResponseData(created.Namespace.ToString(), created.Context.ToString(), created.MemberPublicKey.ToString()));
        }).ConfigureAwait(false);
    }

    private static async Task<IResult> Invite(string id, HttpRequest request, GovernanceService gov, CancellationToken ct)
    {
        // The body is optional (meroctl sends {}; curl may send nothing).
        var body = new CreateInvitationRequest();
        if (request.ContentLength is > 0 || request.Headers.ContentType.Count > 0)
        {
            var (parsed, error) = await HttpJson.ReadBodyAsync<CreateInvitationRequest>(request, ct).ConfigureAwait(false);
            if (parsed is null)
            {
                return error!;
            }

            body = parsed;
        }

        var role = GroupRole.Member;
        if (body.Role is { } text && !TryParseRole(text, out role))
        {
            return RoleError(text);
        }

        if (body.ExpirationTimestamp is 0 or > 100UL * 365 * 24 * 3600)
        {
            return HttpJson.Error(StatusCodes.Status400BadRequest, "expirationTimestamp is a validity in seconds between 1 and 100 years");
        }

        var lifetime = body.ExpirationTimestamp is { } seconds ? TimeSpan.FromSeconds(seconds) : DefaultInvitationLifetime;
        return await WithGroup(id, async ns =>
        {
            var invitation = await gov.CreateInvitationAsync(ns, role, lifetime, ct).ConfigureAwait(false);
            using var doc = JsonDocument.Parse(invitation.ToJson());
            var view = await gov.GetNamespaceAsync(ns, ct).ConfigureAwait(false);
            return HttpJson.Data(new CreateInvitationResponseData(doc.RootElement.Clone(), view.Name));
        }).ConfigureAwait(false);
    }

    private static async Task<IResult> Join(string id, HttpRequest request, GovernanceService gov, CancellationToken ct)
    {
        var (body, error) = await HttpJson.ReadBodyAsync<JoinNamespaceRequest>(request, ct).ConfigureAwait(false);
        if (body is null)
        {
            return error!;
        }

        if (body.Invitation.ValueKind is not (JsonValueKind.Object or JsonValueKind.String))
        {
            return HttpJson.Error(StatusCodes.Status400BadRequest, "body needs 'invitation': the object `namespace invite` printed");
        }

        var json = body.Invitation.ValueKind == JsonValueKind.String ? body.Invitation.GetString()! : body.Invitation.GetRawText();
        return await WithGroup(id, async ns =>
        {
            var member = await gov.JoinNamespaceAsync(ns, json, ct).ConfigureAwait(false);
            return HttpJson.Data(new JoinNamespaceResponseData(ns.ToString(), member.ToString(), member.ToString()));
        }).ConfigureAwait(false);
    }

    private static async Task<IResult> CreateGroupInNamespace(string id, HttpRequest request, GovernanceService gov, CancellationToken ct)
    {
        // The body is optional: a nameless restricted group.
        var body = new CreateGroupInNamespaceRequest();
        if (request.ContentLength is > 0 || request.Headers.ContentType.Count > 0)
        {
            var (parsed, error) = await HttpJson.ReadBodyAsync<CreateGroupInNamespaceRequest>(request, ct).ConfigureAwait(false);
            if (parsed is null)
            {
                return error!;
            }

            body = parsed;
        }

        Visibility visibility;
        switch (body.Visibility?.ToLowerInvariant())
        {
            case null or "restricted":
                visibility = Visibility.Restricted;
                break;
            case "open":
                visibility = Visibility.Open;
                break;
            default:
                return HttpJson.Error(StatusCodes.Status400BadRequest, $"visibility '{HttpJson.Truncate(body.Visibility)}' is not open or restricted");
        }

        return await WithGroup(id, async ns =>
        {
            if (!gov.Follows(ns))
            {
                return HttpJson.Error(StatusCodes.Status404NotFound, $"{ns} is not a namespace this node follows (namespace_id must reference a root group)");
            }

            var group = await gov.CreateGroupAsync(ns, null, body.GroupName, ct, visibility).ConfigureAwait(false);
            return HttpJson.Data(new CreateGroupInNamespaceResponseData(group.ToString()));
        }).ConfigureAwait(false);
    }

    private static async Task<IResult> RemoveMembers(string id, HttpRequest request, GovernanceService gov, CancellationToken ct)
    {
        var (body, error) = await HttpJson.ReadBodyAsync<RemoveGroupMembersRequest>(request, ct).ConfigureAwait(false);
        if (body is null)
        {
            return error!;
        }

        if (body.Members is not { Count: > 0 })
        {
            return HttpJson.Error(StatusCodes.Status400BadRequest, "members must name at least one member");
        }

        var members = new List<PublicKey>();
        foreach (var text in body.Members)
        {
            if (!HttpJson.TryParseId<IdKinds.PublicKey>(text ?? "", out var key, out var keyError))
            {
                return keyError!;
            }

            members.Add(key);
        }

        return await WithGroup(id, async g =>
        {
            await gov.RemoveMembersAsync(g, members, ct).ConfigureAwait(false);
            return Empty();
        }).ConfigureAwait(false);
    }

    private static async Task<IResult> SetRole(string id, string identity, HttpRequest request, GovernanceService gov, CancellationToken ct)
    {
        var (body, error) = await HttpJson.ReadBodyAsync<UpdateMemberRoleRequest>(request, ct).ConfigureAwait(false);
        if (body is null)
        {
            return error!;
        }

        if (!TryParseRole(body.Role ?? "", out var role))
        {
            return RoleError(body.Role);
        }

        return await WithMember(id, identity, async (g, member) =>
        {
            await gov.SetRoleAsync(g, member, role, ct).ConfigureAwait(false);
            return Empty();
        }).ConfigureAwait(false);
    }

    private static async Task<IResult> SetCapabilities(string id, string identity, HttpRequest request, GovernanceService gov, CancellationToken ct)
    {
        var (body, error) = await HttpJson.ReadBodyAsync<SetMemberCapabilitiesRequest>(request, ct).ConfigureAwait(false);
        if (body is null)
        {
            return error!;
        }

        return await WithMember(id, identity, async (g, member) =>
        {
            await gov.SetCapabilitiesAsync(g, member, (Capabilities)body.Capabilities, ct).ConfigureAwait(false);
            return Empty();
        }).ConfigureAwait(false);
    }

    private static async Task<IResult> Reparent(string id, HttpRequest request, GovernanceService gov, CancellationToken ct)
    {
        var (body, error) = await HttpJson.ReadBodyAsync<ReparentGroupRequest>(request, ct).ConfigureAwait(false);
        if (body is null)
        {
            return error!;
        }

        if (!HttpJson.TryParseId<IdKinds.Group>(body.NewParentId ?? "", out var parent, out var parentError))
        {
            return parentError!;
        }

        return await WithGroup(id, async g => Results.Json(
            new ReparentGroupResponse(await gov.ReparentGroupAsync(g, parent, ct).ConfigureAwait(false)),
            ApiJson.Options)).ConfigureAwait(false);
    }

    private static async Task<IResult> TransferOwnership(string id, HttpRequest request, GovernanceService gov, CancellationToken ct)
    {
        var (body, error) = await HttpJson.ReadBodyAsync<TransferOwnershipRequest>(request, ct).ConfigureAwait(false);
        if (body is null)
        {
            return error!;
        }

        return await WithMember(id, body.NewOwner ?? "", async (g, owner) =>
        {
            await gov.TransferOwnershipAsync(g, owner, ct).ConfigureAwait(false);
            return HttpJson.Data(new GroupOwnerData(g.ToString(), owner.ToString()));
        }).ConfigureAwait(false);
    }

    private static async Task<IResult> GetMetadata(GovernanceService gov, GroupId group, MetadataTarget kind, byte[] target, CancellationToken ct)
    {
        var record = await gov.GetMetadataAsync(group, kind, target, ct).ConfigureAwait(false);
        return Results.Json(new GetMetadataResponse(record is null ? null : new MetadataRecordDto(record.Name, record.Data)), ApiJson.Options);
    }

    /// <summary>PUT of a metadata record; <paramref name="target"/> is the member key or context id (null for the group).</summary>
    private static async Task<IResult> SetMetadata(string id, string? target, HttpRequest request, GovernanceService gov, MetadataTarget kind, CancellationToken ct)
    {
        var (body, error) = await HttpJson.ReadBodyAsync<SetMetadataRequest>(request, ct).ConfigureAwait(false);
        if (body is null)
        {
            return error!;
        }

        byte[] targetId = [];
        if (kind == MetadataTarget.Member)
        {
            if (!HttpJson.TryParseId<IdKinds.PublicKey>(target ?? "", out var member, out var memberError))
            {
                return memberError!;
            }

            targetId = member.ToArray();
        }
        else if (kind == MetadataTarget.Context)
        {
            if (!HttpJson.TryParseId<IdKinds.Context>(target ?? "", out var context, out var contextError))
            {
                return contextError!;
            }

            targetId = context.ToArray();
        }

        var data = body.Data ?? new Dictionary<string, string>();
        if (data.Values.Any(v => v is null))
        {
            return HttpJson.Error(StatusCodes.Status400BadRequest, "data values must be strings");
        }

        return await WithGroup(id, async g =>
        {
            await gov.SetMetadataAsync(g, kind, targetId, body.Name, data, ct).ConfigureAwait(false);
            return Empty();
        }).ConfigureAwait(false);
    }

    private static Task<IResult> WithContext(string id, string context, Func<GroupId, ContextId, Task<IResult>> body)
    {
        if (!HttpJson.TryParseId<IdKinds.Group>(id, out var group, out var error))
        {
            return Task.FromResult(error!);
        }

        return HttpJson.TryParseId<IdKinds.Context>(context, out var c, out var contextError)
            ? Guard(() => body(group, c))
            : Task.FromResult(contextError!);
    }

    private static IResult RoleError(string? text) =>
        HttpJson.Error(StatusCodes.Status400BadRequest, $"role '{HttpJson.Truncate(text)}' is not Admin, Member or ReadOnly");

    /// <summary>Upstream's answer to a governance write: an empty object.</summary>
    private static IResult Empty() => Results.Json(new EmptyResponse(), ApiJson.Options);

    public static bool TryParseRole(string text, out GroupRole role) =>
        Enum.TryParse(text.Replace("-", "", StringComparison.Ordinal).Replace("_", "", StringComparison.Ordinal), ignoreCase: true, out role)
        && Enum.IsDefined(role) && !int.TryParse(text, out _);

    private static Task<IResult> WithGroup(string id, Func<GroupId, Task<IResult>> body) =>
        HttpJson.TryParseId<IdKinds.Group>(id, out var group, out var error) ? Guard(() => body(group)) : Task.FromResult(error!);

    private static Task<IResult> WithMember(string id, string identity, Func<GroupId, PublicKey, Task<IResult>> body)
    {
        if (!HttpJson.TryParseId<IdKinds.Group>(id, out var group, out var error))
        {
            return Task.FromResult(error!);
        }

        return HttpJson.TryParseId<IdKinds.PublicKey>(identity, out var member, out var memberError)
            ? Guard(() => body(group, member))
            : Task.FromResult(memberError!);
    }

    /// <summary>Maps refusals to status codes: NodeException by kind, no peers / no key yet to 503.</summary>
    private static async Task<IResult> Guard(Func<Task<IResult>> body)
    {
        try
        {
            return await body().ConfigureAwait(false);
        }
        catch (NodeException ex)
        {
            return HttpJson.FromNodeException(ex);
        }
        catch (GovernanceUnavailableException ex)
        {
            return HttpJson.Error(StatusCodes.Status503ServiceUnavailable, ex.Message);
        }
    }

    private static NamespaceDto ToDto(NamespaceView view) => new(
        view.Id.ToString(),
        view.TargetApplication?.ToString() ?? "",
        view.TargetApplication?.ToString() ?? "",
        0,
        view.Name,
        view.MemberCount,
        view.ContextCount,
        view.SubgroupCount,
        Identity: view.Identity.ToString(),
        DagHeads: [.. view.Heads.Select(h => h.ToString())]);

    private static GroupInfoDto ToDto(GroupView view) => new(
        view.Id.ToString(),
        "",
        "",
        (ulong)view.MemberCount,
        (ulong)view.ContextCount,
        (uint)view.DefaultCapabilities,
        view.Visibility.ToString().ToLowerInvariant(),
        Convert.ToHexString(view.StateHash.AsSpan()).ToLowerInvariant(),
        view.Namespace.ToString(),
        view.Parent?.ToString(),
        view.Name);
}
