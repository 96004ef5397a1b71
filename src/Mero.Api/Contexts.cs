namespace Mero.Api;

/// <summary>Body of <c>POST /admin-api/contexts</c>. <c>InitializationParams</c> are the JSON args of the app's <c>init</c>, as bytes.</summary>
public sealed record CreateContextRequest(
    string ApplicationId,
    string? ContextSeed = null,
    byte[]? InitializationParams = null,
    string? GroupId = null,
    string? IdentitySecret = null,
    string? Name = null);

public sealed record CreateContextResponseData(
    string ContextId,
    string MemberPublicKey,
    string? GroupId = null,
    bool GroupCreated = false);

/// <summary>A context as the admin API shows it; the state root is named <c>contextStateHash</c> upstream.</summary>
public sealed record ContextDto(
    string Id,
    string ApplicationId,
    string ContextStateHash,
    IReadOnlyList<string>? DagHeads = null,
    string? ApplicationVersion = null,
    string? Name = null,
    string? GroupId = null);

public sealed record ListContextsData(IReadOnlyList<ContextDto> Contexts);

public sealed record DeleteContextData(bool IsDeleted);

public sealed record ContextIdentitiesData(IReadOnlyList<string> Identities);
