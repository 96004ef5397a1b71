using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Mero.Api;

namespace Mero.Client;

/// <summary>
/// A typed client for a node's admin API (<c>/admin-api</c>) and JSON-RPC endpoint (<c>/jsonrpc</c>).
/// Every method returns the response's <c>data</c> (or the JSON-RPC <c>result</c>) and throws
/// <see cref="MeroApiException"/> on any failure.
/// </summary>
public sealed partial class MeroClient : IDisposable
{
    private const int MaxErrorSnippet = 200;

    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private long _nextRpcId;

    /// <summary>A client with its own <see cref="HttpClient"/> (optionally over <paramref name="handler"/>).</summary>
    public MeroClient(Uri baseAddress, HttpMessageHandler? handler = null, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(baseAddress);
        BaseAddress = Normalize(baseAddress);
        _http = handler is null ? new HttpClient() : new HttpClient(handler, disposeHandler: true);
        if (timeout is { } t)
        {
            _http.Timeout = t;
        }

        _ownsHttp = true;
    }

    /// <summary>A client over a caller-owned <see cref="HttpClient"/>; requests use <paramref name="baseAddress"/>.</summary>
    public MeroClient(HttpClient httpClient, Uri baseAddress)
    {
        ArgumentNullException.ThrowIfNull(httpClient);
        ArgumentNullException.ThrowIfNull(baseAddress);
        BaseAddress = Normalize(baseAddress);
        _http = httpClient;
        _ownsHttp = false;
    }

    /// <summary>The node's base URL, always ending in <c>/</c>.</summary>
    public Uri BaseAddress { get; }

    public void Dispose()
    {
        if (_ownsHttp)
        {
            _http.Dispose();
        }
    }

    public Task<HealthStatus> HealthAsync(CancellationToken ct = default) =>
        GetAsync<HealthStatus>("admin-api/health", ct);

    /// <summary>Installs a WASM file that is on the node's own disk (<paramref name="request"/>'s path must be absolute).</summary>
    public Task<InstallApplicationResponseData> InstallDevApplicationAsync(InstallDevApplicationRequest request, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return PostJsonAsync<InstallDevApplicationRequest, InstallApplicationResponseData>("admin-api/install-dev-application", request, ct);
    }

    /// <summary>Uploads WASM bytes as <c>multipart/form-data</c> (part <c>file</c>, plus optional <c>metadata</c>, <c>package</c>, <c>version</c>).</summary>
    public async Task<InstallApplicationResponseData> UploadApplicationAsync(
        Stream wasm,
        string fileName = "app.wasm",
        string? metadata = null,
        string? package = null,
        string? version = null,
        CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(wasm);
        using var form = new MultipartFormDataContent();
        var file = new StreamContent(wasm);
        file.Headers.ContentType = new MediaTypeHeaderValue("application/wasm");
        form.Add(file, "file", string.IsNullOrEmpty(fileName) ? "app.wasm" : fileName);
        AddText(form, "metadata", metadata);
        AddText(form, "package", package);
        AddText(form, "version", version);

        using var request = new HttpRequestMessage(HttpMethod.Post, Url("admin-api/install-application/upload")) { Content = form };
        return await SendForDataAsync<InstallApplicationResponseData>(request, ct).ConfigureAwait(false);
    }

    public async Task<InstallApplicationResponseData> UploadApplicationAsync(
        byte[] wasm,
        string fileName = "app.wasm",
        string? metadata = null,
        string? package = null,
        string? version = null,
        CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(wasm);
        using var stream = new MemoryStream(wasm, writable: false);
        return await UploadApplicationAsync(stream, fileName, metadata, package, version, ct).ConfigureAwait(false);
    }

    public Task<ListApplicationsData> ListApplicationsAsync(CancellationToken ct = default) =>
        GetAsync<ListApplicationsData>("admin-api/applications", ct);

    /// <summary>The application, or <c>{"application": null}</c> when the node does not have it.</summary>
    public Task<GetApplicationData> GetApplicationAsync(string applicationId, CancellationToken ct = default) =>
        GetAsync<GetApplicationData>($"admin-api/applications/{Segment(applicationId)}", ct);

    public Task<CreateContextResponseData> CreateContextAsync(CreateContextRequest request, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return PostJsonAsync<CreateContextRequest, CreateContextResponseData>("admin-api/contexts", request, ct);
    }

    public Task<ListContextsData> ListContextsAsync(CancellationToken ct = default) =>
        GetAsync<ListContextsData>("admin-api/contexts", ct);

    /// <summary>The context; an unknown id is a <see cref="MeroApiException"/> with status 404.</summary>
    public Task<ContextDto> GetContextAsync(string contextId, CancellationToken ct = default) =>
        GetAsync<ContextDto>($"admin-api/contexts/{Segment(contextId)}", ct);

    public async Task<DeleteContextData> DeleteContextAsync(string contextId, CancellationToken ct = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Delete, Url($"admin-api/contexts/{Segment(contextId)}"));
        return await SendForDataAsync<DeleteContextData>(request, ct).ConfigureAwait(false);
    }

    public Task<ContextIdentitiesData> GetContextIdentitiesAsync(string contextId, CancellationToken ct = default) =>
        GetAsync<ContextIdentitiesData>($"admin-api/contexts/{Segment(contextId)}/identities", ct);

    /// <summary>
    /// Calls <paramref name="method"/> of the app in <paramref name="contextId"/> through JSON-RPC <c>execute</c>.
    /// A JSON-RPC error (unknown context, panic, unauthorized executor…) is a <see cref="MeroApiException"/>
    /// of kind <see cref="MeroErrorKind.JsonRpc"/> with <see cref="MeroApiException.RpcCode"/> set.
    /// </summary>
    public async Task<ExecuteResult> ExecuteAsync(
        string contextId,
        string method,
        JsonElement args,
        string? executorPublicKey = null,
        CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(contextId);
        ArgumentException.ThrowIfNullOrEmpty(method);
        var id = Interlocked.Increment(ref _nextRpcId);
        var parameters = new ExecuteParams(
            contextId,
            method,
            args.ValueKind == JsonValueKind.Undefined ? null : args,
            executorPublicKey);
        var rpc = new JsonRpcRequest(
            "2.0",
            JsonSerializer.SerializeToElement(id, ApiJson.Options),
            "execute",
            JsonSerializer.SerializeToElement(parameters, ApiJson.Options));

        using var request = new HttpRequestMessage(HttpMethod.Post, Url("jsonrpc")) { Content = JsonBody(rpc) };
        using var response = await SendAsync(request, ct).ConfigureAwait(false);
        var body = await ReadBodyAsync(response, ct).ConfigureAwait(false);

        JsonRpcResponse<ExecuteResult>? decoded = null;
        Exception? decodeError = null;
        try
        {
            decoded = JsonSerializer.Deserialize<JsonRpcResponse<ExecuteResult>>(body, ApiJson.Options);
        }
        catch (JsonException ex)
        {
            decodeError = ex;
        }

        if (decoded?.Error is { } error)
        {
            throw MeroApiException.JsonRpc(response.StatusCode, error);
        }

        if (!response.IsSuccessStatusCode)
        {
            throw HttpError(response.StatusCode, body);
        }

        if (decoded?.Result is not { } result)
        {
            throw MeroApiException.InvalidResponse(
                response.StatusCode,
                $"the node's JSON-RPC response has neither 'result' nor 'error': {Snippet(body)}",
                decodeError);
        }

        // Tolerate nodes that omit empty lists.
        return result with { Logs = result.Logs ?? [], Events = result.Events ?? [] };
    }

    private async Task<T> GetAsync<T>(string path, CancellationToken ct)
        where T : class
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, Url(path));
        return await SendForDataAsync<T>(request, ct).ConfigureAwait(false);
    }

    private async Task<TResponse> PostJsonAsync<TRequest, TResponse>(string path, TRequest body, CancellationToken ct)
        where TResponse : class
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, Url(path)) { Content = JsonBody(body) };
        return await SendForDataAsync<TResponse>(request, ct).ConfigureAwait(false);
    }

    private async Task<T> SendForDataAsync<T>(HttpRequestMessage request, CancellationToken ct)
        where T : class
    {
        using var response = await SendAsync(request, ct).ConfigureAwait(false);
        var body = await ReadBodyAsync(response, ct).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw HttpError(response.StatusCode, body);
        }

        DataResponse<T>? envelope;
        try
        {
            envelope = JsonSerializer.Deserialize<DataResponse<T>>(body, ApiJson.Options);
        }
        catch (JsonException ex)
        {
            throw MeroApiException.InvalidResponse(
                response.StatusCode,
                $"the node's response to {request.Method} {request.RequestUri?.AbsolutePath} is not the expected JSON: {ex.Message}",
                ex);
        }

        return envelope?.Data ?? throw MeroApiException.InvalidResponse(
            response.StatusCode,
            $"the node's response to {request.Method} {request.RequestUri?.AbsolutePath} has no 'data': {Snippet(body)}");
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
    {
        try
        {
            return await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, ct).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            throw MeroApiException.Transport($"cannot reach the node at {BaseAddress}: {ex.Message}", ex);
        }
        catch (TaskCanceledException ex) when (!ct.IsCancellationRequested)
        {
            throw MeroApiException.Transport($"the node at {BaseAddress} did not answer within {_http.Timeout.TotalSeconds:0.#} s", ex);
        }
    }

    private static async Task<byte[]> ReadBodyAsync(HttpResponseMessage response, CancellationToken ct)
    {
        try
        {
            return await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            throw MeroApiException.Transport($"the connection failed while reading the response: {ex.Message}", ex);
        }
    }

    /// <summary>An admin API failure: the body's <c>error</c> when it has one, else the status and a snippet.</summary>
    private static MeroApiException HttpError(HttpStatusCode status, byte[] body)
    {
        string? message = null;
        try
        {
            using var doc = JsonDocument.Parse(body);
            if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("error", out var error))
            {
                message = error.ValueKind switch
                {
                    JsonValueKind.String => error.GetString(),
                    JsonValueKind.Object when error.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String => m.GetString(),
                    _ => error.GetRawText(),
                };
            }
        }
        catch (JsonException)
        {
        }

        if (string.IsNullOrEmpty(message))
        {
            var text = Snippet(body);
            message = text.Length == 0 ? $"{(int)status} {status}" : $"{(int)status} {status}: {text}";
        }

        return MeroApiException.Http(status, message);
    }

    private static string Snippet(byte[] body)
    {
        var text = Encoding.UTF8.GetString(body, 0, Math.Min(body.Length, MaxErrorSnippet * 4)).Trim();
        return text.Length <= MaxErrorSnippet ? text : text[..MaxErrorSnippet] + "...";
    }

    private static ByteArrayContent JsonBody<T>(T value)
    {
        var content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(value, ApiJson.Options));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        return content;
    }

    private static void AddText(MultipartFormDataContent form, string name, string? value)
    {
        if (value is not null)
        {
            form.Add(new StringContent(value, Encoding.UTF8), name);
        }
    }

    private Uri Url(string relative) => new(BaseAddress, relative);

    private static string Segment(string id)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        return Uri.EscapeDataString(id);
    }

    private static Uri Normalize(Uri baseAddress)
    {
        if (!baseAddress.IsAbsoluteUri || (baseAddress.Scheme != Uri.UriSchemeHttp && baseAddress.Scheme != Uri.UriSchemeHttps))
        {
            throw new ArgumentException($"'{baseAddress}' is not an http(s) URL", nameof(baseAddress));
        }

        var text = baseAddress.GetLeftPart(UriPartial.Path);
        return new Uri(text.EndsWith('/') ? text : text + "/");
    }

    // ---- Namespaces and groups (docs/governance.md, "Node wiring") ----

    public Task<CreateNamespaceResponseData> CreateNamespaceAsync(CreateNamespaceRequest request, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return PostJsonAsync<CreateNamespaceRequest, CreateNamespaceResponseData>("admin-api/namespaces", request, ct);
    }

    public Task<List<NamespaceDto>> ListNamespacesAsync(CancellationToken ct = default) =>
        GetAsync<List<NamespaceDto>>("admin-api/namespaces", ct);

    public Task<NamespaceDto> GetNamespaceAsync(string namespaceId, CancellationToken ct = default) =>
        GetAsync<NamespaceDto>($"admin-api/namespaces/{Segment(namespaceId)}", ct);

    public Task<NamespaceIdentityData> GetNamespaceIdentityAsync(string namespaceId, CancellationToken ct = default) =>
        GetAsync<NamespaceIdentityData>($"admin-api/namespaces/{Segment(namespaceId)}/identity", ct);

    public Task<List<GroupEntryDto>> ListNamespaceGroupsAsync(string namespaceId, CancellationToken ct = default) =>
        GetAsync<List<GroupEntryDto>>($"admin-api/namespaces/{Segment(namespaceId)}/groups", ct);

    public Task<CreateInvitationResponseData> CreateNamespaceInvitationAsync(string namespaceId, CreateInvitationRequest request, CancellationToken ct = default) =>
        PostJsonAsync<CreateInvitationRequest, CreateInvitationResponseData>($"admin-api/namespaces/{Segment(namespaceId)}/invite", request, ct);

    /// <summary>Joins with an invitation; the node waits (up to its join timeout) for peers and the group key.</summary>
    public Task<JoinNamespaceResponseData> JoinNamespaceAsync(string namespaceId, JoinNamespaceRequest request, CancellationToken ct = default) =>
        PostJsonAsync<JoinNamespaceRequest, JoinNamespaceResponseData>($"admin-api/namespaces/{Segment(namespaceId)}/join", request, ct);

    /// <summary><c>group join-context</c>: joins a context registered in a namespace this node follows.</summary>
    public Task<JoinContextResponseData> JoinContextAsync(string contextId, CancellationToken ct = default) =>
        PostJsonAsync<EmptyResponse, JoinContextResponseData>($"admin-api/contexts/{Segment(contextId)}/join", new EmptyResponse(), ct);

    public Task<List<GroupInfoDto>> ListGroupsAsync(CancellationToken ct = default) =>
        GetAsync<List<GroupInfoDto>>("admin-api/groups", ct);

    public Task<GroupInfoDto> GetGroupAsync(string groupId, CancellationToken ct = default) =>
        GetAsync<GroupInfoDto>($"admin-api/groups/{Segment(groupId)}", ct);

    public Task<List<GroupContextEntryDto>> ListGroupContextsAsync(string groupId, CancellationToken ct = default) =>
        GetAsync<List<GroupContextEntryDto>>($"admin-api/groups/{Segment(groupId)}/contexts", ct);

    /// <summary>Upstream answers <c>{"members":[...]}</c> without the <c>data</c> wrapper.</summary>
    public async Task<ListGroupMembersResponse> ListGroupMembersAsync(string groupId, CancellationToken ct = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, Url($"admin-api/groups/{Segment(groupId)}/members"));
        return await SendForBodyAsync<ListGroupMembersResponse>(request, ct).ConfigureAwait(false);
    }

    public async Task RemoveGroupMembersAsync(string groupId, RemoveGroupMembersRequest body, CancellationToken ct = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, Url($"admin-api/groups/{Segment(groupId)}/members/remove")) { Content = JsonBody(body) };
        await SendForBodyAsync<EmptyResponse>(request, ct).ConfigureAwait(false);
    }

    public async Task UpdateMemberRoleAsync(string groupId, string identity, UpdateMemberRoleRequest body, CancellationToken ct = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, Url($"admin-api/groups/{Segment(groupId)}/members/{Segment(identity)}/role")) { Content = JsonBody(body) };
        await SendForBodyAsync<EmptyResponse>(request, ct).ConfigureAwait(false);
    }

    public async Task SetMemberCapabilitiesAsync(string groupId, string identity, SetMemberCapabilitiesRequest body, CancellationToken ct = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, Url($"admin-api/groups/{Segment(groupId)}/members/{Segment(identity)}/capabilities")) { Content = JsonBody(body) };
        await SendForBodyAsync<EmptyResponse>(request, ct).ConfigureAwait(false);
    }

    public Task<MemberCapabilitiesData> GetMemberCapabilitiesAsync(string groupId, string identity, CancellationToken ct = default) =>
        GetAsync<MemberCapabilitiesData>($"admin-api/groups/{Segment(groupId)}/members/{Segment(identity)}/capabilities", ct);

    /// <summary><c>namespace delete</c>: tears down this node's copy of a namespace (root admins only; peers keep theirs).</summary>
    public async Task<IsDeletedData> DeleteNamespaceAsync(string namespaceId, CancellationToken ct = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Delete, Url($"admin-api/namespaces/{Segment(namespaceId)}"));
        return await SendForDataAsync<IsDeletedData>(request, ct).ConfigureAwait(false);
    }

    /// <summary><c>namespace leave</c>: publishes the leave (cascading through subgroups) and stops following the namespace.</summary>
    public Task<LeaveNamespaceResponseData> LeaveNamespaceAsync(string namespaceId, CancellationToken ct = default) =>
        PostJsonAsync<EmptyResponse, LeaveNamespaceResponseData>($"admin-api/namespaces/{Segment(namespaceId)}/leave", new EmptyResponse(), ct);

    /// <summary><c>namespace create-group</c>: a subgroup directly under the namespace root.</summary>
    public Task<CreateGroupInNamespaceResponseData> CreateGroupInNamespaceAsync(string namespaceId, CreateGroupInNamespaceRequest body, CancellationToken ct = default) =>
        PostJsonAsync<CreateGroupInNamespaceRequest, CreateGroupInNamespaceResponseData>($"admin-api/namespaces/{Segment(namespaceId)}/groups", body, ct);

    /// <summary>Upstream answers <c>{"subgroups":[...]}</c> without the <c>data</c> wrapper.</summary>
    public async Task<ListSubgroupsResponse> ListSubgroupsAsync(string groupId, CancellationToken ct = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, Url($"admin-api/groups/{Segment(groupId)}/subgroups"));
        return await SendForBodyAsync<ListSubgroupsResponse>(request, ct).ConfigureAwait(false);
    }

    public async Task<IsDeletedData> DeleteGroupAsync(string groupId, CancellationToken ct = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Delete, Url($"admin-api/groups/{Segment(groupId)}"));
        return await SendForDataAsync<IsDeletedData>(request, ct).ConfigureAwait(false);
    }

    public Task<LeaveGroupResponseData> LeaveGroupAsync(string groupId, CancellationToken ct = default) =>
        PostJsonAsync<EmptyResponse, LeaveGroupResponseData>($"admin-api/groups/{Segment(groupId)}/leave", new EmptyResponse(), ct);

    /// <summary><c>group reparent</c>: moves a subgroup under another group of its namespace (namespace admins).</summary>
    public async Task<ReparentGroupResponse> ReparentGroupAsync(string groupId, string newParentId, CancellationToken ct = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, Url($"admin-api/groups/{Segment(groupId)}/reparent")) { Content = JsonBody(new ReparentGroupRequest(newParentId)) };
        return await SendForBodyAsync<ReparentGroupResponse>(request, ct).ConfigureAwait(false);
    }

    /// <summary><c>group transfer-ownership</c>: the owner hands the group to a direct member.</summary>
    public Task<GroupOwnerData> TransferOwnershipAsync(string groupId, string newOwner, CancellationToken ct = default) =>
        PostJsonAsync<TransferOwnershipRequest, GroupOwnerData>($"admin-api/groups/{Segment(groupId)}/transfer-ownership", new TransferOwnershipRequest(newOwner), ct);

    /// <summary>
    /// A metadata record: of the group when <paramref name="member"/> and <paramref name="contextId"/> are
    /// null, else of that member or registered context. <c>Data</c> is null when none was ever set.
    /// </summary>
    public async Task<GetMetadataResponse> GetMetadataAsync(string groupId, string? member = null, string? contextId = null, CancellationToken ct = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, Url(MetadataPath(groupId, member, contextId)));
        return await SendForBodyAsync<GetMetadataResponse>(request, ct).ConfigureAwait(false);
    }

    public async Task SetMetadataAsync(string groupId, SetMetadataRequest body, string? member = null, string? contextId = null, CancellationToken ct = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, Url(MetadataPath(groupId, member, contextId))) { Content = JsonBody(body) };
        await SendForBodyAsync<EmptyResponse>(request, ct).ConfigureAwait(false);
    }

    private static string MetadataPath(string groupId, string? member, string? contextId) =>
        member is not null ? $"admin-api/groups/{Segment(groupId)}/members/{Segment(member)}/metadata"
        : contextId is not null ? $"admin-api/groups/{Segment(groupId)}/contexts/{Segment(contextId)}/metadata"
        : $"admin-api/groups/{Segment(groupId)}/metadata";

    /// <summary>For the routes upstream answers without the <c>data</c> wrapper.</summary>
    private async Task<T> SendForBodyAsync<T>(HttpRequestMessage request, CancellationToken ct)
        where T : class
    {
        using var response = await SendAsync(request, ct).ConfigureAwait(false);
        var body = await ReadBodyAsync(response, ct).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw HttpError(response.StatusCode, body);
        }

        try
        {
            return JsonSerializer.Deserialize<T>(body, ApiJson.Options)
                ?? throw MeroApiException.InvalidResponse(response.StatusCode, $"the node's response to {request.Method} {request.RequestUri?.AbsolutePath} is null");
        }
        catch (JsonException ex)
        {
            throw MeroApiException.InvalidResponse(
                response.StatusCode,
                $"the node's response to {request.Method} {request.RequestUri?.AbsolutePath} is not the expected JSON: {ex.Message}",
                ex);
        }
    }
}
