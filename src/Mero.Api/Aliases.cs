using System.Text.Json.Serialization;

namespace Mero.Api;

/// <summary>Body of <c>POST /admin-api/alias/create/context</c>: upstream's <c>{"alias":..,"contextId":..}</c>.</summary>
public sealed record CreateContextAliasRequest(string? Alias, string? ContextId);

/// <summary>Body of <c>POST /admin-api/alias/create/application</c>: upstream's <c>{"alias":..,"applicationId":..}</c>.</summary>
public sealed record CreateApplicationAliasRequest(string? Alias, string? ApplicationId);

/// <summary>
/// Answer of <c>POST /admin-api/alias/lookup/{kind}/:name</c>: <c>{"data":{"value":id}}</c>, and
/// <c>{"value":null}</c> (not a 404) when no such alias exists, as upstream.
/// </summary>
public sealed record LookupAliasData([property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? Value);

/// <summary>
/// Answer of the leave route: the node's identity that stopped following the context (the first
/// one when it held several; all of them were dropped).
/// </summary>
public sealed record LeaveContextData(string ContextId, string MemberPublicKey);

/// <summary>Answer of <c>GET /admin-api/contexts/:id/storage</c>.</summary>
public sealed record ContextStorageData(long SizeInBytes);
