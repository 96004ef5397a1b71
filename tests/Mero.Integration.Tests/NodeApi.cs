using System.Net.Http.Json;
using System.Text.Json;

namespace Mero.Integration.Tests;

/// <summary>Raw-HTTP helpers: the tests check the wire shapes themselves, not a client library's view of them.</summary>
public static class NodeApi
{
    public static async Task<JsonElement> SendJsonAsync(this HttpClient http, HttpMethod method, string path, object? body = null, int expectedStatus = 200)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is string raw)
        {
            request.Content = new StringContent(raw, System.Text.Encoding.UTF8, "application/json");
        }
        else if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }

        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        if ((int)response.StatusCode != expectedStatus)
        {
            throw new Xunit.Sdk.XunitException($"{method} {path}: expected HTTP {expectedStatus}, got {(int)response.StatusCode}: {text}");
        }

        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }

    public static async Task<string> InstallAppAsync(this HttpClient http, string wasmPath)
    {
        var response = await http.SendJsonAsync(HttpMethod.Post, "/admin-api/install-dev-application", new { path = wasmPath, metadata = Array.Empty<byte>() });
        return response.GetProperty("data").GetProperty("applicationId").GetString()!;
    }

    public static async Task<(string ContextId, string MemberPublicKey)> CreateContextAsync(this HttpClient http, string applicationId)
    {
        var data = (await http.SendJsonAsync(HttpMethod.Post, "/admin-api/contexts", new { applicationId })).GetProperty("data");
        return (data.GetProperty("contextId").GetString()!, data.GetProperty("memberPublicKey").GetString()!);
    }

    /// <summary>Sends a JSON-RPC execute and returns the whole response object (result or error).</summary>
    public static Task<JsonElement> ExecuteAsync(this HttpClient http, string contextId, string method, object? args = null, string? executor = null) =>
        http.SendJsonAsync(HttpMethod.Post, "/jsonrpc", new
        {
            jsonrpc = "2.0",
            id = 1,
            method = "execute",
            @params = new { contextId, method, argsJson = args ?? new { }, executorPublicKey = executor },
        });

    public static JsonElement Result(this JsonElement rpc) =>
        rpc.TryGetProperty("result", out var result)
            ? result
            : throw new Xunit.Sdk.XunitException($"expected a JSON-RPC result, got {rpc}");

    public static JsonElement Error(this JsonElement rpc) =>
        rpc.TryGetProperty("error", out var error)
            ? error
            : throw new Xunit.Sdk.XunitException($"expected a JSON-RPC error, got {rpc}");

    public static async Task<string> StateHashAsync(this HttpClient http, string contextId) =>
        (await http.SendJsonAsync(HttpMethod.Get, $"/admin-api/contexts/{contextId}")).GetProperty("data").GetProperty("contextStateHash").GetString()!;
}
