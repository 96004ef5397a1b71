using System.Net;
using System.Text;
using System.Text.Json;
using Mero.Client;
using Mero.Node;
using Mero.Node.Configuration;
using Mero.Server;
using Mero.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Xunit;

namespace Mero.Integration.Tests;

/// <summary>
/// Alias routes and the node-local context routes on an in-process node (real RocksDB, real
/// admin API on a loopback port, no swarm), through raw HTTP, the typed client and meroctl.
/// </summary>
public sealed class AliasRouteTests : IAsyncLifetime
{
    private static readonly string UnknownId = ContextId.FromBytes(Enumerable.Repeat((byte)7, 32).ToArray()).ToString();
    private readonly string _home = Path.Combine(Path.GetTempPath(), "mero-alias-it-" + Guid.NewGuid().ToString("N"));
    private WebApplication _app = null!;
    private HttpClient _http = null!;
    private MeroClient _client = null!;

    public async Task InitializeAsync() => await StartAsync();

    public async Task DisposeAsync()
    {
        await StopAsync();
        try
        {
            Directory.Delete(_home, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private async Task StartAsync()
    {
        var options = new NodeOptions
        {
            HomeDirectory = _home,
            DataPath = Path.Combine(_home, "data"),
            BlobPath = Path.Combine(_home, "blobs"),
            ServerEndpoints = [new IPEndPoint(IPAddress.Loopback, 0)],
        };
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddMeroNode(options);
        builder.ConfigureMeroServer(options);
        _app = builder.Build();
        _app.MapMeroEndpoints(options);
        await _app.StartAsync();
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        _http = new HttpClient { BaseAddress = new Uri(address) };
        _client = new MeroClient(new Uri(address));
    }

    private async Task StopAsync()
    {
        _client.Dispose();
        _http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task<(HttpStatusCode Status, JsonElement Body)> SendAsync(HttpMethod method, string path, string? json = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }

        using var response = await _http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        using var doc = JsonDocument.Parse(text.Length == 0 ? "null" : text);
        return (response.StatusCode, doc.RootElement.Clone());
    }

    private static string Error(JsonElement body) => body.GetProperty("error").GetString()!;

    private async Task<(string App, string Context)> AppAndContextAsync()
    {
        var app = (await _client.InstallDevApplicationAsync(new Mero.Api.InstallDevApplicationRequest(RepoPaths.App("kv-store"), [], null, null))).ApplicationId;
        var context = (await _client.CreateContextAsync(new Mero.Api.CreateContextRequest(app))).ContextId;
        return (app, context);
    }

    private async Task<(int Code, string Out, string Err)> MeroctlAsync(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await Meroctl.Cli.RunAsync(["--api", _http.BaseAddress!.ToString(), "--output-format", "json", .. args], stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public async Task Context_and_application_aliases_have_upstream_shapes_refuse_bad_input_and_survive_a_restart()
    {
        var (app, context) = await AppAndContextAsync();

        var created = await SendAsync(HttpMethod.Post, "/admin-api/alias/create/context", $$"""{"alias":"main","contextId":"{{context}}"}""");
        Assert.Equal(HttpStatusCode.OK, created.Status);
        Assert.Equal(JsonValueKind.Null, created.Body.GetProperty("data").ValueKind);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Post, "/admin-api/alias/create/application", $$"""{"alias":"kv","applicationId":"{{app}}"}""")).Status);

        // Hostile and wrong input: each a clear 4xx, nothing written.
        var cases = new (string Path, string Body, HttpStatusCode Status, string Says)[]
        {
            ("/admin-api/alias/create/context", $$"""{"alias":"main","contextId":"{{context}}"}""", HttpStatusCode.Conflict, "already exists"),
            ("/admin-api/alias/create/context", $$"""{"alias":"{{new string('a', 51)}}","contextId":"{{context}}"}""", HttpStatusCode.BadRequest, "50-character limit"),
            ("/admin-api/alias/create/context", $$"""{"alias":"{{new string('a', 200_000)}}","contextId":"{{context}}"}""", HttpStatusCode.BadRequest, "50-character limit"),
            ("/admin-api/alias/create/context", $$"""{"alias":"a b","contextId":"{{context}}"}""", HttpStatusCode.BadRequest, "invalid character"),
            ("/admin-api/alias/create/context", $$"""{"alias":"","contextId":"{{context}}"}""", HttpStatusCode.BadRequest, "must not be empty"),
            ("/admin-api/alias/create/context", $$"""{"contextId":"{{context}}"}""", HttpStatusCode.BadRequest, "must not be empty"),
            ("/admin-api/alias/create/context", $$"""{"alias":"{{UnknownId}}","contextId":"{{context}}"}""", HttpStatusCode.BadRequest, "reads as a 32-byte id"),
            ("/admin-api/alias/create/context", """{"alias":"x","contextId":"nope"}""", HttpStatusCode.BadRequest, "not a valid"),
            ("/admin-api/alias/create/context", $$"""{"alias":"x","contextId":"{{UnknownId}}"}""", HttpStatusCode.NotFound, "not found"),
            ("/admin-api/alias/create/context", """{"alias":"x",""", HttpStatusCode.BadRequest, "invalid JSON"),
            ("/admin-api/alias/create/application", $$"""{"alias":"y","applicationId":"{{UnknownId}}"}""", HttpStatusCode.NotFound, "not found"),
            ("/admin-api/alias/create/application", $$"""{"alias":"default","applicationId":"{{app}}"}""", HttpStatusCode.BadRequest, "reserved"),
            ("/admin-api/alias/create/application", $$"""{"alias":"kv","applicationId":"{{app}}"}""", HttpStatusCode.Conflict, "already exists"),
            ("/admin-api/alias/lookup/context/a%20b", "", HttpStatusCode.BadRequest, "invalid character"),
        };
        foreach (var (path, body, status, says) in cases)
        {
            var (got, json) = await SendAsync(HttpMethod.Post, path, body.Length == 0 ? null : body);
            Assert.True(status == got, $"{path} {body[..Math.Min(body.Length, 80)]}: {got} {json}");
            Assert.Contains(says, Error(json), StringComparison.Ordinal);
        }

        // The same name in the other kind is a different alias.
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Post, "/admin-api/alias/create/application", $$"""{"alias":"main","applicationId":"{{app}}"}""")).Status);

        var lookup = await SendAsync(HttpMethod.Post, "/admin-api/alias/lookup/context/main");
        Assert.Equal(context, lookup.Body.GetProperty("data").GetProperty("value").GetString());
        var missing = await SendAsync(HttpMethod.Post, "/admin-api/alias/lookup/context/nobody");
        Assert.Equal(HttpStatusCode.OK, missing.Status);
        Assert.Equal(JsonValueKind.Null, missing.Body.GetProperty("data").GetProperty("value").ValueKind);
        var list = (await SendAsync(HttpMethod.Get, "/admin-api/alias/list/application")).Body.GetProperty("data");
        Assert.Equal([("kv", app), ("main", app)], list.EnumerateObject().Select(p => (p.Name, p.Value.GetString()!)));

        // Restart on the same RocksDB: everything is still there.
        await StopAsync();
        await StartAsync();
        Assert.Equal(context, await _client.LookupAliasAsync(AliasTarget.Context, "main"));
        Assert.Equal(app, await _client.ResolveAsync(AliasTarget.Application, "kv"));
        Assert.Equal(new Dictionary<string, string> { ["main"] = context }, await _client.ListAliasesAsync(AliasTarget.Context));

        // Delete is idempotent, as upstream.
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Post, "/admin-api/alias/delete/application/main")).Status);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Post, "/admin-api/alias/delete/application/main")).Status);
        Assert.Null(await _client.LookupAliasAsync(AliasTarget.Application, "main"));
        var clientError = await Assert.ThrowsAsync<MeroApiException>(() => _client.CreateContextAliasAsync("main", context));
        Assert.Contains("already exists", clientError.Message, StringComparison.Ordinal);

        // Deleting the context drops its aliases; the app's aliases go when it is uninstalled.
        await _client.DeleteContextAsync(context);
        Assert.Null(await _client.LookupAliasAsync(AliasTarget.Context, "main"));
        Assert.Empty(await _client.ListAliasesAsync(AliasTarget.Context));
        await _client.UninstallApplicationAsync(app);
        Assert.Empty(await _client.ListAliasesAsync(AliasTarget.Application));
        await StopAsync();
        using (var store = MeroStore.Open(Path.Combine(_home, "data")))
        {
            Assert.Empty(store.Scan(Column.Meta, "alias/"u8.ToArray()));
        }

        await StartAsync();
    }

    [Fact]
    public async Task Leave_drops_the_owned_identity_keeps_the_data_refuses_writes_and_persists()
    {
        var (app, context) = await AppAndContextAsync();
        await _client.ExecuteAsync(context, "set", JsonDocument.Parse("""{"key":"a","value":"b"}""").RootElement);
        var owned = await _client.GetOwnedContextIdentitiesAsync(context);
        var member = Assert.Single(owned.Identities);
        var size = (await _client.GetContextStorageAsync(context)).SizeInBytes;
        Assert.True(size > 100, $"storage {size}");

        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(HttpMethod.Post, "/admin-api/contexts/xyz/leave")).Status);
        Assert.Equal("Context not found", Error((await SendAsync(HttpMethod.Post, $"/admin-api/contexts/{UnknownId}/leave")).Body));
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(HttpMethod.Get, $"/admin-api/contexts/{UnknownId}/storage")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(HttpMethod.Get, $"/admin-api/contexts/{UnknownId}/identities-owned")).Status);

        var left = await _client.LeaveContextAsync(context);
        Assert.Equal((context, member), (left.ContextId, left.MemberPublicKey));
        Assert.Empty((await _client.GetOwnedContextIdentitiesAsync(context)).Identities);
        var again = await SendAsync(HttpMethod.Post, $"/admin-api/contexts/{context}/leave");
        Assert.Equal(HttpStatusCode.Conflict, again.Status);
        Assert.Contains("already left", Error(again.Body), StringComparison.Ordinal);

        // The data stays readable; the context still exists but this node can no longer write to it.
        Assert.Equal(context, (await _client.GetContextAsync(context)).Id);
        Assert.True((await _client.GetContextStorageAsync(context)).SizeInBytes < size);
        await Assert.ThrowsAsync<MeroApiException>(() => _client.ExecuteAsync(context, "set", JsonDocument.Parse("""{"key":"a","value":"c"}""").RootElement));

        await StopAsync();
        await StartAsync();
        Assert.Equal(context, (await _client.GetContextAsync(context)).Id);
        Assert.Empty((await _client.GetOwnedContextIdentitiesAsync(context)).Identities);
        Assert.Equal(app, (await _client.GetContextAsync(context)).ApplicationId);

        // Joining again brings a member back and clears the marker; the kept state is still there.
        var contexts = _app.Services.GetRequiredService<Mero.Node.Contexts.ContextManager>();
        var id = ContextId.Parse(context);
        Assert.True(contexts.HasLeft(id));
        Assert.True(await contexts.JoinAsync(id, ApplicationId.Parse(app), new byte[32], CancellationToken.None));
        Assert.False(contexts.HasLeft(id));
        Assert.Single((await _client.GetOwnedContextIdentitiesAsync(context)).Identities);
        var read = await _client.ExecuteAsync(context, "get", JsonDocument.Parse(GetA).RootElement);
        Assert.Equal("b", read.Output?.GetString());
    }

    private const string GetA = """{"key":"a"}""";

    [Fact]
    public async Task Meroctl_resolves_aliases_sets_the_default_context_and_lists_owned_identities()
    {
        var (app, _) = await AppAndContextAsync();
        Assert.Equal(0, (await MeroctlAsync("context", "create", "-a", app, "--name", "shop")).Code);
        var shop = await _client.LookupAliasAsync(AliasTarget.Context, "shop");
        Assert.NotNull(shop);

        // No default yet: a clear failure that says how to set one.
        var (noDefault, _, noDefaultErr) = await MeroctlAsync("call", "get", "--args", """{"key":"a"}""");
        Assert.Equal(1, noDefault);
        Assert.Contains("context use", noDefaultErr, StringComparison.Ordinal);

        Assert.Equal(0, (await MeroctlAsync("context", "use", "shop")).Code);
        Assert.Equal(shop, await _client.LookupAliasAsync(AliasTarget.Context, "default"));
        Assert.Equal(0, (await MeroctlAsync("call", "set", "--args", """{"key":"a","value":"via-default"}""")).Code);
        var (got, output, _) = await MeroctlAsync("call", "get", "-c", "shop", "--args", """{"key":"a"}""");
        Assert.Equal(0, got);
        Assert.Contains("via-default", output, StringComparison.Ordinal);

        var (ownedCode, owned, _) = await MeroctlAsync("context", "identity", "list", "--owned");
        Assert.Equal(0, ownedCode);
        Assert.Single(JsonDocument.Parse(owned).RootElement.GetProperty("identities").EnumerateArray());

        // Repointing needs --force; aliases to unknown things fail; bad names are usage errors.
        var (otherCode, _, _) = await MeroctlAsync("context", "create", "-a", app, "--name", "other");
        Assert.Equal(0, otherCode);
        var (refused, _, refusedErr) = await MeroctlAsync("context", "use", "other");
        Assert.Equal(1, refused);
        Assert.Contains("--force", refusedErr, StringComparison.Ordinal);
        Assert.Equal(0, (await MeroctlAsync("context", "use", "other", "--force")).Code);
        Assert.Equal(await _client.LookupAliasAsync(AliasTarget.Context, "other"), await _client.LookupAliasAsync(AliasTarget.Context, "default"));
        Assert.Equal(1, (await MeroctlAsync("context", "alias", "add", "x", "nosuch")).Code);
        Assert.Equal(2, (await MeroctlAsync("context", "alias", "add", "bad name", "shop")).Code);
        Assert.Equal(2, (await MeroctlAsync("context", "alias", "add", "default", "shop")).Code);
        Assert.Equal(2, (await MeroctlAsync("context", "create", "-a", app, "--name", "no/slash")).Code);
        var (taken, _, takenErr) = await MeroctlAsync("context", "create", "-a", app, "--name", "shop");
        Assert.Equal(1, taken);
        Assert.Contains("nothing was created", takenErr, StringComparison.Ordinal);
        Assert.Equal(3, (await _client.ListContextsAsync()).Contexts.Count);

        Assert.Equal(0, (await MeroctlAsync("context", "alias", "add", "s2", "shop")).Code);
        var (listCode, list, _) = await MeroctlAsync("context", "alias", "ls");
        Assert.Equal(0, listCode);
        Assert.Equal(["default", "other", "s2", "shop"], JsonDocument.Parse(list).RootElement.EnumerateObject().Select(p => p.Name));
        Assert.Equal(0, (await MeroctlAsync("context", "alias", "rm", "s2")).Code);
        var (getCode, get, _) = await MeroctlAsync("context", "alias", "get");
        Assert.Equal(0, getCode);
        Assert.Equal(await _client.LookupAliasAsync(AliasTarget.Context, "other"), JsonDocument.Parse(get).RootElement.GetProperty("value").GetString());

        var (leaveCode, leave, _) = await MeroctlAsync("context", "leave", "shop");
        Assert.Equal(0, leaveCode);
        Assert.Equal(shop, JsonDocument.Parse(leave).RootElement.GetProperty("contextId").GetString());
        Assert.Equal(0, (await MeroctlAsync("context", "delete", "shop")).Code);
        Assert.Null(await _client.LookupAliasAsync(AliasTarget.Context, "shop"));
    }
}
