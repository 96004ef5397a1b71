using Mero.Api;

namespace Mero.Client;

/// <summary>Alias routes and the node-local context routes (leave, owned identities, storage).</summary>
public sealed partial class MeroClient
{
    /// <summary>The longest alias a node accepts (upstream's limit).</summary>
    public const int MaxAliasLength = 50;

    /// <summary><c>POST /admin-api/alias/create/context</c>; 409 when the name is taken, 404 when the context is unknown.</summary>
    public async Task CreateContextAliasAsync(string alias, string contextId, CancellationToken ct = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, Url("admin-api/alias/create/context")) { Content = JsonBody(new CreateContextAliasRequest(alias, contextId)) };
        await SendForBodyAsync<EmptyResponse>(request, ct).ConfigureAwait(false);
    }

    /// <summary><c>POST /admin-api/alias/create/application</c>.</summary>
    public async Task CreateApplicationAliasAsync(string alias, string applicationId, CancellationToken ct = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, Url("admin-api/alias/create/application")) { Content = JsonBody(new CreateApplicationAliasRequest(alias, applicationId)) };
        await SendForBodyAsync<EmptyResponse>(request, ct).ConfigureAwait(false);
    }

    /// <summary><c>POST /admin-api/alias/lookup/{kind}/:name</c>: the id, or null when no such alias exists.</summary>
    public async Task<string?> LookupAliasAsync(AliasTarget kind, string alias, CancellationToken ct = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, Url($"admin-api/alias/lookup/{KindSegment(kind)}/{Segment(alias)}"));
        return (await SendForDataAsync<LookupAliasData>(request, ct).ConfigureAwait(false)).Value;
    }

    /// <summary><c>POST /admin-api/alias/delete/{kind}/:name</c>; deleting an unknown name succeeds, as upstream.</summary>
    public async Task DeleteAliasAsync(AliasTarget kind, string alias, CancellationToken ct = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, Url($"admin-api/alias/delete/{KindSegment(kind)}/{Segment(alias)}"));
        await SendForBodyAsync<EmptyResponse>(request, ct).ConfigureAwait(false);
    }

    /// <summary><c>GET /admin-api/alias/list/{kind}</c>: alias → id.</summary>
    public Task<Dictionary<string, string>> ListAliasesAsync(AliasTarget kind, CancellationToken ct = default) =>
        GetAsync<Dictionary<string, string>>($"admin-api/alias/list/{KindSegment(kind)}", ct);

    /// <summary>
    /// An id or an alias to an id: a text that parses as a 32-byte base58 id is returned as is
    /// (nodes refuse aliases that read as ids, so nothing can shadow one); anything else is looked
    /// up. Null when the alias does not exist.
    /// </summary>
    public async Task<string?> ResolveAsync(AliasTarget kind, string aliasOrId, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(aliasOrId);
        if (Mero.Primitives.Base58.TryDecode(aliasOrId, out var bytes) && bytes.Length == 32)
        {
            return aliasOrId;
        }

        return await LookupAliasAsync(kind, aliasOrId, ct).ConfigureAwait(false);
    }

    /// <summary><c>POST /admin-api/contexts/:id/leave</c>: stop following the context on this node only.</summary>
    public async Task<LeaveContextData> LeaveContextAsync(string contextId, CancellationToken ct = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, Url($"admin-api/contexts/{Segment(contextId)}/leave"));
        return await SendForDataAsync<LeaveContextData>(request, ct).ConfigureAwait(false);
    }

    /// <summary><c>GET /admin-api/contexts/:id/identities-owned</c>.</summary>
    public Task<ContextIdentitiesData> GetOwnedContextIdentitiesAsync(string contextId, CancellationToken ct = default) =>
        GetAsync<ContextIdentitiesData>($"admin-api/contexts/{Segment(contextId)}/identities-owned", ct);

    /// <summary><c>GET /admin-api/contexts/:id/storage</c>.</summary>
    public Task<ContextStorageData> GetContextStorageAsync(string contextId, CancellationToken ct = default) =>
        GetAsync<ContextStorageData>($"admin-api/contexts/{Segment(contextId)}/storage", ct);

    /// <summary>Why a node would refuse <paramref name="name"/> as an alias (length, characters), or null; checked before a request is sent.</summary>
    public static string? AliasNameError(string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            return "alias must not be empty";
        }

        if (name.Length > MaxAliasLength)
        {
            return $"alias is {name.Length} characters, over the {MaxAliasLength}-character limit";
        }

        return name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')
            ? null
            : $"alias '{name}' contains an invalid character; allowed characters are [A-Za-z0-9._-]";
    }

    private static string KindSegment(AliasTarget kind) => kind switch
    {
        AliasTarget.Context => "context",
        AliasTarget.Application => "application",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown alias kind"),
    };
}

/// <summary>What an alias names on the node.</summary>
public enum AliasTarget
{
    Context,
    Application,
}
