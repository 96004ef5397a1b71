using System.Net;
using Mero.TestSupport;
using Xunit;

namespace Mero.Client.Tests;

/// <summary>Alias and context-local routes: paths, bodies, upstream's null shapes, and local name checks.</summary>
public sealed class MeroClientAliasTests : IAsyncLifetime
{
    private FakeNode _node = null!;
    private MeroClient _client = null!;

    public async Task InitializeAsync()
    {
        _node = await FakeNode.StartAsync();
        _client = new MeroClient(_node.Url);
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _node.DisposeAsync();
    }

    [Fact]
    public async Task Create_lookup_list_delete_use_upstream_paths_and_bodies()
    {
        _node.On("POST", "/admin-api/alias/create/context", 200, """{"data":null}""");
        _node.On("POST", "/admin-api/alias/create/application", 409, """{"error":"alias 'kv' already exists"}""");
        _node.On("POST", "/admin-api/alias/lookup/context/main", 200, $$$"""{"data":{"value":"{{{Canned.ContextId}}}"}}""");
        _node.On("POST", "/admin-api/alias/lookup/application/none", 200, """{"data":{"value":null}}""");
        _node.On("GET", "/admin-api/alias/list/application", 200, $$$"""{"data":{"kv":"{{{Canned.AppId}}}"}}""");
        _node.On("POST", "/admin-api/alias/delete/context/main", 200, """{"data":null}""");

        await _client.CreateContextAliasAsync("main", Canned.ContextId);
        Assert.Equal($$$"""{"alias":"main","contextId":"{{{Canned.ContextId}}}"}""", _node.Last("POST", "/admin-api/alias/create/context").BodyText);
        var conflict = await Assert.ThrowsAsync<MeroApiException>(() => _client.CreateApplicationAliasAsync("kv", Canned.AppId));
        Assert.Equal(HttpStatusCode.Conflict, conflict.StatusCode);
        Assert.Equal("alias 'kv' already exists (HTTP 409)", conflict.Message);

        Assert.Equal(Canned.ContextId, await _client.LookupAliasAsync(AliasTarget.Context, "main"));
        Assert.Null(await _client.LookupAliasAsync(AliasTarget.Application, "none"));
        Assert.Equal(Canned.AppId, (await _client.ListAliasesAsync(AliasTarget.Application))["kv"]);
        await _client.DeleteAliasAsync(AliasTarget.Context, "main");
        Assert.Single(_node.Requests, r => r.Path == "/admin-api/alias/delete/context/main");
    }

    [Fact]
    public async Task Resolve_uses_an_id_as_is_and_looks_anything_else_up()
    {
        _node.On("POST", "/admin-api/alias/lookup/context/main", 200, $$$"""{"data":{"value":"{{{Canned.ContextId}}}"}}""");
        _node.On("POST", "/admin-api/alias/lookup/context/gone", 200, """{"data":{"value":null}}""");

        Assert.Equal(Canned.OtherId, await _client.ResolveAsync(AliasTarget.Context, Canned.OtherId));
        Assert.Empty(_node.Requests);
        Assert.Equal(Canned.ContextId, await _client.ResolveAsync(AliasTarget.Context, "main"));
        Assert.Null(await _client.ResolveAsync(AliasTarget.Context, "gone"));
        Assert.Equal(2, _node.Requests.Count);
    }

    [Fact]
    public async Task Leave_owned_identities_and_storage_read_their_envelopes()
    {
        _node.On("POST", $"/admin-api/contexts/{Canned.ContextId}/leave", 200, $$$"""{"data":{"contextId":"{{{Canned.ContextId}}}","memberPublicKey":"{{{Canned.PublicKey}}}"}}""");
        _node.On("POST", $"/admin-api/contexts/{Canned.OtherId}/leave", 409, """{"error":"this node holds no identity in context x (never joined here, or already left)"}""");
        _node.On("GET", $"/admin-api/contexts/{Canned.ContextId}/identities-owned", 200, $$$"""{"data":{"identities":["{{{Canned.PublicKey}}}"]}}""");
        _node.On("GET", $"/admin-api/contexts/{Canned.ContextId}/storage", 200, """{"data":{"sizeInBytes":4096}}""");

        var left = await _client.LeaveContextAsync(Canned.ContextId);
        Assert.Equal((Canned.ContextId, Canned.PublicKey), (left.ContextId, left.MemberPublicKey));
        var refused = await Assert.ThrowsAsync<MeroApiException>(() => _client.LeaveContextAsync(Canned.OtherId));
        Assert.Contains("already left", refused.Message, StringComparison.Ordinal);
        Assert.Equal([Canned.PublicKey], (await _client.GetOwnedContextIdentitiesAsync(Canned.ContextId)).Identities);
        Assert.Equal(4096, (await _client.GetContextStorageAsync(Canned.ContextId)).SizeInBytes);
    }

    [Theory]
    [InlineData("main", null)]
    [InlineData("a.b-c_D9", null)]
    [InlineData("", "must not be empty")]
    [InlineData("with space", "invalid character")]
    [InlineData("../etc", "invalid character")]
    public void Alias_names_are_checked_locally(string name, string? error)
    {
        if (error is null)
        {
            Assert.Null(MeroClient.AliasNameError(name));
        }
        else
        {
            Assert.Contains(error, MeroClient.AliasNameError(name), StringComparison.Ordinal);
        }

        Assert.Contains("50-character limit", MeroClient.AliasNameError(new string('z', 51)), StringComparison.Ordinal);
    }
}
