using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Mero.TestSupport;

/// <summary>One request the fake node saw; multipart forms are already split into fields and files.</summary>
public sealed record RecordedRequest(
    string Method,
    string Path,
    string? ContentType,
    byte[] Body,
    IReadOnlyDictionary<string, string> FormFields,
    IReadOnlyDictionary<string, (string FileName, byte[] Bytes)> FormFiles)
{
    public string BodyText => System.Text.Encoding.UTF8.GetString(Body);
}

/// <summary>
/// A stand-in node on 127.0.0.1 (a free port) that answers canned, upstream-shaped bodies per
/// <c>METHOD /path</c> and records every request. Unknown routes get a bare 404.
/// </summary>
public sealed class FakeNode : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, Func<RecordedRequest, (int Status, string Body)>> _routes = new();
    private readonly ConcurrentQueue<RecordedRequest> _requests = new();

    private FakeNode(WebApplication app)
    {
        _app = app;
    }

    public Uri Url { get; private set; } = null!;

    public int Port => Url.Port;

    public IReadOnlyCollection<RecordedRequest> Requests => _requests;

    public static async Task<FakeNode> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var node = new FakeNode(app);
        app.Run(node.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        node.Url = new Uri(address.EndsWith('/') ? address : address + "/");
        return node;
    }

    /// <summary>Answers <paramref name="method"/> <paramref name="path"/> with <paramref name="status"/> and a JSON body.</summary>
    public FakeNode On(string method, string path, int status, string body) => On(method, path, _ => (status, body));

    public FakeNode On(string method, string path, Func<RecordedRequest, (int Status, string Body)> handler)
    {
        _routes[Key(method, path)] = handler;
        return this;
    }

    /// <summary>Every admin endpoint answering its canned success body, and <c>/jsonrpc</c> a canned result.</summary>
    public FakeNode WithDefaults()
    {
        On("GET", "/admin-api/health", 200, """{"data":{"status":"alive"}}""");
        On("POST", "/admin-api/install-dev-application", 200, $$$"""{"data":{"applicationId":"{{{Canned.AppId}}}"}}""");
        On("POST", "/admin-api/install-application/upload", 200, $$$"""{"data":{"applicationId":"{{{Canned.AppId}}}"}}""");
        On("GET", "/admin-api/applications", 200, $$$"""{"data":{"apps":[{{{Canned.AppJson}}}]}}""");
        On("GET", $"/admin-api/applications/{Canned.AppId}", 200, $$$"""{"data":{"application":{{{Canned.AppJson}}}}}""");
        On("GET", $"/admin-api/applications/{Canned.OtherId}", 200, """{"data":{"application":null}}""");
        On("POST", "/admin-api/contexts", 200, $$$"""{"data":{"contextId":"{{{Canned.ContextId}}}","memberPublicKey":"{{{Canned.PublicKey}}}","groupCreated":false}}""");
        On("GET", "/admin-api/contexts", 200, $$$"""{"data":{"contexts":[{{{Canned.ContextJson}}}]}}""");
        On("GET", $"/admin-api/contexts/{Canned.ContextId}", 200, $$$"""{"data":{{{Canned.ContextJson}}}}""");
        On("GET", $"/admin-api/contexts/{Canned.OtherId}", 404, """{"error":"Context not found"}""");
        On("DELETE", $"/admin-api/contexts/{Canned.ContextId}", 200, """{"data":{"isDeleted":true}}""");
        On("GET", $"/admin-api/contexts/{Canned.ContextId}/identities", 200, $$$"""{"data":{"identities":["{{{Canned.PublicKey}}}"]}}""");
        On("POST", "/jsonrpc", 200, $$$"""{"jsonrpc":"2.0","id":1,"result":{"output":"hello","logs":["set greeting"],"events":[{"kind":"Inserted","data":{"key":"greeting"}}],"rootHash":"{{{Canned.RootHash}}}"}}""");
        return this;
    }

    /// <summary>The last request to <paramref name="method"/> <paramref name="path"/>.</summary>
    public RecordedRequest Last(string method, string path) =>
        _requests.Last(r => r.Method == method && r.Path == path);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var fields = new Dictionary<string, string>();
        var files = new Dictionary<string, (string, byte[])>();
        byte[] body = [];
        if (request.HasFormContentType)
        {
            var form = await request.ReadFormAsync(context.RequestAborted);
            foreach (var (name, value) in form)
            {
                fields[name] = value.ToString();
            }

            foreach (var file in form.Files)
            {
                using var copy = new MemoryStream();
                await file.CopyToAsync(copy, context.RequestAborted);
                files[file.Name] = (file.FileName, copy.ToArray());
            }
        }
        else
        {
            using var copy = new MemoryStream();
            await request.Body.CopyToAsync(copy, context.RequestAborted);
            body = copy.ToArray();
        }

        var recorded = new RecordedRequest(request.Method, request.Path.Value ?? "/", request.ContentType, body, fields, files);
        _requests.Enqueue(recorded);

        if (!_routes.TryGetValue(Key(request.Method, recorded.Path), out var handler))
        {
            context.Response.StatusCode = 404;
            return;
        }

        var (status, json) = handler(recorded);
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(json, context.RequestAborted);
    }

    private static string Key(string method, string path) => $"{method.ToUpperInvariant()} {path}";
}

/// <summary>Upstream-shaped ids and bodies.</summary>
public static class Canned
{
    public const string AppId = "9mLFHGbSLwpkGjdkHmqQVdnSt6xzuDZm2oJ5Ra2fEFQC";
    public const string ContextId = "5FjHoAqcUgrVHDczK1kzSR8QRvx5JUmhiM3bDrpGWnNn";
    public const string PublicKey = "HE7XJbvLHUS4KcXsNoN4YLxGRwuBkuUomMBDbLjRkN2H";
    public const string RootHash = "2Q5zvQWjsDBJmKGNR4p5uzCyYGzTNYw5LtNuvHhk6gEt";
    public const string BlobId = "7ZUmQmLHx4PE1LttGNyA3GDEUYsvsP1cNKBtMBA1z9fc";

    /// <summary>An id the fake node does not know (404 for contexts, <c>null</c> for applications).</summary>
    public const string OtherId = "11111111111111111111111111111111";

    public const string AppJson =
        $$"""{"id":"{{AppId}}","blob":{"bytecode":"{{BlobId}}","compiled":"{{BlobId}}"},"size":1234,"source":"file:///apps/kv-store.wasm","metadata":[104,105],"package":"com.example.kv","version":"1.0.0"}""";

    public const string ContextJson =
        $$"""{"id":"{{ContextId}}","applicationId":"{{AppId}}","contextStateHash":"{{RootHash}}","dagHeads":["{{RootHash}}"]}""";
}
