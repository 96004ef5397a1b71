using System.Net.Http.Headers;
using Xunit;

namespace Mero.Integration.Tests;

/// <summary>
/// Every malformed or hostile request gets a clear 4xx or JSON-RPC error, the node keeps serving,
/// and the store afterwards holds byte-for-byte what it held before.
/// </summary>
public class BadInputTests
{
    [Fact]
    public async Task Bad_requests_are_refused_and_leave_the_store_unchanged()
    {
        await using var node = await MerodProcess.StartAsync();
        var http = node.Http;
        var appId = await http.InstallAppAsync(RepoPaths.App("kv-store"));
        var (contextId, _) = await http.CreateContextAsync(appId);
        await http.ExecuteAsync(contextId, "set", new { key = "kept", value = "safe" });
        var root = await http.StateHashAsync(contextId);

        await node.StopAsync();
        var before = StoreDump.Read(node.NodeHome);
        await node.StartAsync();

        // Malformed JSON bodies.
        var badBody = await http.SendJsonAsync(HttpMethod.Post, "/admin-api/contexts", "{not json", expectedStatus: 400);
        Assert.Contains("invalid JSON", badBody.GetProperty("error").GetString());
        var badRpc = (await http.SendJsonAsync(HttpMethod.Post, "/jsonrpc", "{\"jsonrpc\":")).Error();
        Assert.Equal(-32700, badRpc.GetProperty("code").GetInt32());
        var wrongVersion = (await http.SendJsonAsync(HttpMethod.Post, "/jsonrpc", "{\"jsonrpc\":\"1.0\",\"id\":1,\"method\":\"execute\"}")).Error();
        Assert.Equal(-32600, wrongVersion.GetProperty("code").GetInt32());
        var unknownRpc = (await http.SendJsonAsync(HttpMethod.Post, "/jsonrpc", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"frobnicate\",\"params\":{}}")).Error();
        Assert.Equal(-32601, unknownRpc.GetProperty("code").GetInt32());

        // Unknown or malformed ids.
        var unknownContext = (await http.ExecuteAsync("11111111111111111111111111111111", "get", new { key = "x" })).Error();
        Assert.Equal(-32001, unknownContext.GetProperty("code").GetInt32());
        Assert.Contains("not found", unknownContext.GetProperty("message").GetString());
        var badId = await http.SendJsonAsync(HttpMethod.Get, "/admin-api/contexts/not-an-id", expectedStatus: 400);
        Assert.Contains("ContextId", badId.GetProperty("error").GetString());
        await http.SendJsonAsync(HttpMethod.Post, "/admin-api/contexts", new { applicationId = "11111111111111111111111111111111" }, expectedStatus: 404);

        // Unknown method, a panicking method, a foreign executor.
        var unknownMethod = (await http.ExecuteAsync(contextId, "no_such_method")).Error();
        Assert.Equal(-32002, unknownMethod.GetProperty("code").GetInt32());
        Assert.Equal("MethodNotFound", unknownMethod.GetProperty("data").GetProperty("code").GetString());
        var panic = (await http.ExecuteAsync(contextId, "set", new { value = "no key" })).Error();
        Assert.Equal(-32002, panic.GetProperty("code").GetInt32());
        Assert.Contains("key", panic.GetProperty("message").GetString());
        var stranger = (await http.ExecuteAsync(contextId, "get", new { key = "kept" }, executor: "11111111111111111111111111111111")).Error();
        Assert.Equal(-32003, stranger.GetProperty("code").GetInt32());

        // Applications that are not valid WASM, or lack what an app must export.
        var notWasm = await UploadAsync(http, "not wasm at all"u8.ToArray());
        Assert.Contains("not a valid application", notWasm);
        var noMemory = await UploadAsync(http, [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
        Assert.Contains("memory", noMemory);
        var missing = await http.SendJsonAsync(HttpMethod.Post, "/admin-api/install-dev-application", new { path = "/nonexistent/app.wasm" }, expectedStatus: 400);
        Assert.Contains("not found", missing.GetProperty("error").GetString());
        await http.SendJsonAsync(HttpMethod.Post, "/admin-api/install-dev-application", new { path = "relative.wasm" }, expectedStatus: 400);

        // Still serving, and the state is what it was.
        var get = (await http.ExecuteAsync(contextId, "get", new { key = "kept" })).Result();
        Assert.Equal("safe", get.GetProperty("output").GetString());
        Assert.Equal(root, await http.StateHashAsync(contextId));

        await node.StopAsync();
        Assert.Equal(before, StoreDump.Read(node.NodeHome));
    }

    private static async Task<string> UploadAsync(HttpClient http, byte[] bytes)
    {
        using var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(bytes);
        file.Headers.ContentType = new MediaTypeHeaderValue("application/wasm");
        form.Add(file, "file", "app.wasm");
        using var response = await http.PostAsync("/admin-api/install-application/upload", form);
        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal(400, (int)response.StatusCode);
        return text;
    }
}
