using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Mero.Api;
using Mero.TestSupport;
using Xunit;

namespace Mero.Client.Tests;

public sealed class MeroClientTests : IAsyncLifetime
{
    private FakeNode _node = null!;
    private MeroClient _client = null!;

    public async Task InitializeAsync()
    {
        _node = (await FakeNode.StartAsync()).WithDefaults();
        _client = new MeroClient(_node.Url);
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _node.DisposeAsync();
    }

    [Fact]
    public async Task Health_decodes_status()
    {
        var health = await _client.HealthAsync();
        Assert.Equal("alive", health.Status);
    }

    [Fact]
    public async Task ListApplications_decodes_apps()
    {
        var data = await _client.ListApplicationsAsync();

        var app = Assert.Single(data.Apps);
        Assert.Equal(Canned.AppId, app.Id);
        Assert.Equal(Canned.BlobId, app.Blob.Bytecode);
        Assert.Equal(1234, app.Size);
        Assert.Equal("hi"u8.ToArray(), app.Metadata);
        Assert.Equal("com.example.kv", app.Package);
    }

    [Fact]
    public async Task GetApplication_returns_app_or_null()
    {
        var found = await _client.GetApplicationAsync(Canned.AppId);
        Assert.Equal(Canned.AppId, found.Application?.Id);

        var missing = await _client.GetApplicationAsync(Canned.OtherId);
        Assert.Null(missing.Application);
    }

    [Fact]
    public async Task InstallDevApplication_posts_path_and_metadata()
    {
        var result = await _client.InstallDevApplicationAsync(new InstallDevApplicationRequest("/abs/app.wasm", [], "com.example.kv", "1.0.0"));

        Assert.Equal(Canned.AppId, result.ApplicationId);
        var request = _node.Last("POST", "/admin-api/install-dev-application");
        Assert.StartsWith("application/json", request.ContentType);
        using var body = JsonDocument.Parse(request.Body);
        Assert.Equal("/abs/app.wasm", body.RootElement.GetProperty("path").GetString());
        Assert.Equal(JsonValueKind.Array, body.RootElement.GetProperty("metadata").ValueKind);
        Assert.Equal(0, body.RootElement.GetProperty("metadata").GetArrayLength());
        Assert.Equal("com.example.kv", body.RootElement.GetProperty("package").GetString());
        Assert.Equal("1.0.0", body.RootElement.GetProperty("version").GetString());
    }

    [Fact]
    public async Task UploadApplication_sends_multipart_file_and_metadata()
    {
        byte[] wasm = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

        var result = await _client.UploadApplicationAsync(wasm, "kv.wasm", metadata: "meta");

        Assert.Equal(Canned.AppId, result.ApplicationId);
        var request = _node.Last("POST", "/admin-api/install-application/upload");
        Assert.StartsWith("multipart/form-data", request.ContentType);
        var (fileName, bytes) = request.FormFiles["file"];
        Assert.Equal("kv.wasm", fileName);
        Assert.Equal(wasm, bytes);
        Assert.Equal("meta", request.FormFields["metadata"]);
        Assert.False(request.FormFields.ContainsKey("package"));
    }

    [Fact]
    public async Task CreateContext_sends_init_params_as_bytes()
    {
        var init = Encoding.UTF8.GetBytes("""{"owner":"me"}""");

        var result = await _client.CreateContextAsync(new CreateContextRequest(Canned.AppId, InitializationParams: init));

        Assert.Equal(Canned.ContextId, result.ContextId);
        Assert.Equal(Canned.PublicKey, result.MemberPublicKey);
        Assert.False(result.GroupCreated);
        using var body = JsonDocument.Parse(_node.Last("POST", "/admin-api/contexts").Body);
        Assert.Equal(Canned.AppId, body.RootElement.GetProperty("applicationId").GetString());
        var sent = body.RootElement.GetProperty("initializationParams").EnumerateArray().Select(e => e.GetByte()).ToArray();
        Assert.Equal(init, sent);
    }

    [Fact]
    public async Task Context_endpoints_decode()
    {
        var list = await _client.ListContextsAsync();
        Assert.Equal(Canned.ContextId, Assert.Single(list.Contexts).Id);

        var context = await _client.GetContextAsync(Canned.ContextId);
        Assert.Equal(Canned.AppId, context.ApplicationId);
        Assert.Equal(Canned.RootHash, context.ContextStateHash);

        var identities = await _client.GetContextIdentitiesAsync(Canned.ContextId);
        Assert.Equal([Canned.PublicKey], identities.Identities);

        var deleted = await _client.DeleteContextAsync(Canned.ContextId);
        Assert.True(deleted.IsDeleted);
        Assert.Contains(_node.Requests, r => r.Method == "DELETE" && r.Path == $"/admin-api/contexts/{Canned.ContextId}");
    }

    [Fact]
    public async Task Error_body_becomes_exception_with_status_and_message()
    {
        var ex = await Assert.ThrowsAsync<MeroApiException>(() => _client.GetContextAsync(Canned.OtherId));

        Assert.Equal(MeroErrorKind.Http, ex.Kind);
        Assert.Equal(HttpStatusCode.NotFound, ex.StatusCode);
        Assert.Equal("Context not found", ex.ServerMessage);
        Assert.Contains("Context not found", ex.Message);
        Assert.Contains("404", ex.Message);
    }

    [Fact]
    public async Task Error_without_json_body_reports_status_and_snippet()
    {
        _node.On("GET", "/admin-api/health", 502, "upstream gateway down");

        var ex = await Assert.ThrowsAsync<MeroApiException>(() => _client.HealthAsync());

        Assert.Equal(MeroErrorKind.Http, ex.Kind);
        Assert.Equal(HttpStatusCode.BadGateway, ex.StatusCode);
        Assert.Contains("502", ex.ServerMessage);
        Assert.Contains("upstream gateway down", ex.ServerMessage);
    }

    [Fact]
    public async Task Unknown_route_is_http_404()
    {
        _node.On("GET", "/admin-api/applications", 404, "");

        var ex = await Assert.ThrowsAsync<MeroApiException>(() => _client.ListApplicationsAsync());

        Assert.Equal(HttpStatusCode.NotFound, ex.StatusCode);
    }

    [Fact]
    public async Task Success_without_data_is_invalid_response()
    {
        _node.On("GET", "/admin-api/contexts", 200, """{"contexts":[]}""");
        var missing = await Assert.ThrowsAsync<MeroApiException>(() => _client.ListContextsAsync());
        Assert.Equal(MeroErrorKind.InvalidResponse, missing.Kind);

        _node.On("GET", "/admin-api/contexts", 200, "<html>");
        var garbage = await Assert.ThrowsAsync<MeroApiException>(() => _client.ListContextsAsync());
        Assert.Equal(MeroErrorKind.InvalidResponse, garbage.Kind);
    }

    [Fact]
    public async Task Execute_sends_jsonrpc_and_decodes_result()
    {
        using var args = JsonDocument.Parse("""{"key":"greeting","value":"hello"}""");

        var result = await _client.ExecuteAsync(Canned.ContextId, "set", args.RootElement, Canned.PublicKey);

        Assert.Equal("hello", result.Output?.GetString());
        Assert.Equal(["set greeting"], result.Logs);
        var e = Assert.Single(result.Events);
        Assert.Equal("Inserted", e.Kind);
        Assert.Equal("greeting", e.Data?.GetProperty("key").GetString());
        Assert.Equal(Canned.RootHash, result.RootHash);

        using var sent = JsonDocument.Parse(_node.Last("POST", "/jsonrpc").Body);
        var root = sent.RootElement;
        Assert.Equal("2.0", root.GetProperty("jsonrpc").GetString());
        Assert.Equal("execute", root.GetProperty("method").GetString());
        Assert.Equal(JsonValueKind.Number, root.GetProperty("id").ValueKind);
        var p = root.GetProperty("params");
        Assert.Equal(Canned.ContextId, p.GetProperty("contextId").GetString());
        Assert.Equal("set", p.GetProperty("method").GetString());
        Assert.Equal("hello", p.GetProperty("argsJson").GetProperty("value").GetString());
        Assert.Equal(Canned.PublicKey, p.GetProperty("executorPublicKey").GetString());
    }

    [Fact]
    public async Task Execute_without_executor_omits_it_and_tolerates_null_output()
    {
        _node.On("POST", "/jsonrpc", 200, """{"jsonrpc":"2.0","id":1,"result":{"output":null,"logs":[],"events":[]}}""");

        var result = await _client.ExecuteAsync(Canned.ContextId, "set", JsonDocument.Parse("{}").RootElement);

        Assert.Null(result.Output);
        Assert.Empty(result.Logs);
        using var sent = JsonDocument.Parse(_node.Last("POST", "/jsonrpc").Body);
        Assert.False(sent.RootElement.GetProperty("params").TryGetProperty("executorPublicKey", out _));
    }

    [Fact]
    public async Task Execute_maps_jsonrpc_error()
    {
        _node.On("POST", "/jsonrpc", 200, """
            {"jsonrpc":"2.0","id":1,"error":{"code":-32002,"message":"function call error: boom","data":{"type":"FunctionCallError","code":"Panic","detail":"boom"}}}
            """);

        var ex = await Assert.ThrowsAsync<MeroApiException>(() =>
            _client.ExecuteAsync(Canned.ContextId, "explode", JsonDocument.Parse("{}").RootElement));

        Assert.Equal(MeroErrorKind.JsonRpc, ex.Kind);
        Assert.Equal(JsonRpcErrorCodes.FunctionCallError, ex.RpcCode);
        Assert.Equal("function call error: boom", ex.ServerMessage);
        Assert.Equal("FunctionCallError", ex.RpcData?.Type);
        Assert.Equal("Panic", ex.RpcData?.Code);
        Assert.Equal("boom", ex.RpcData?.Detail);
        Assert.Contains("-32002", ex.Message);
    }

    [Fact]
    public async Task Execute_maps_jsonrpc_error_without_data_and_http_errors()
    {
        _node.On("POST", "/jsonrpc", 200, """{"jsonrpc":"2.0","id":1,"error":{"code":-32001,"message":"context not found"}}""");
        var rpc = await Assert.ThrowsAsync<MeroApiException>(() =>
            _client.ExecuteAsync(Canned.OtherId, "get", JsonDocument.Parse("{}").RootElement));
        Assert.Equal(JsonRpcErrorCodes.ContextNotFound, rpc.RpcCode);
        Assert.Null(rpc.RpcData);

        _node.On("POST", "/jsonrpc", 503, """{"error":"jsonrpc disabled"}""");
        var http = await Assert.ThrowsAsync<MeroApiException>(() =>
            _client.ExecuteAsync(Canned.ContextId, "get", JsonDocument.Parse("{}").RootElement));
        Assert.Equal(MeroErrorKind.Http, http.Kind);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, http.StatusCode);
        Assert.Equal("jsonrpc disabled", http.ServerMessage);
    }

    [Fact]
    public async Task Unreachable_node_is_transport_error()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        using var client = new MeroClient(new Uri($"http://127.0.0.1:{port}"));

        var ex = await Assert.ThrowsAsync<MeroApiException>(() => client.HealthAsync());

        Assert.Equal(MeroErrorKind.Transport, ex.Kind);
        Assert.Null(ex.StatusCode);
        Assert.Contains($"127.0.0.1:{port}", ex.Message);
    }

    [Fact]
    public async Task Base_url_path_prefix_is_kept()
    {
        _node.On("GET", "/node1/admin-api/health", 200, """{"data":{"status":"alive"}}""");
        using var client = new MeroClient(new Uri(_node.Url, "node1"));

        Assert.Equal("alive", (await client.HealthAsync()).Status);
        Assert.EndsWith("/node1/", client.BaseAddress.AbsoluteUri);
    }

    [Fact]
    public void Rejects_non_http_base_url() =>
        Assert.Throws<ArgumentException>(() => new MeroClient(new Uri("ftp://127.0.0.1/")));
}
