using System.Net;
using Mero.TestSupport;
using Xunit;

namespace Mero.Client.Tests;

/// <summary>Alias and context-local routes: paths, bodies, upstream's null shapes, and local name checks.</summary>
public sealed class MeroClientAliasTests : FakeNodeClientTest
{
    [Fact]
    public async Task Create_lookup_list_delete_use_upstream_paths_and_bodies()
    {
        Node.On("POST", "/admin-api/alias/create/context", 200, """{"data":null}""");
        Node.On("POST", "/admin-api/alias/create/application", 409, """{"error":"alias 'kv' already exists"}""");
        Node.On("POST", "/admin-api/alias/lookup/context/main", 200, $$$"""{"data":{"value":"{{{Canned.ContextId}}}"}}""");
        Node.On("POST", "/admin-api/alias/lookup/application/none", 200, """{"data":{"value":null}}""");
        Node.On("GET", "/admin-api/alias/list/application", 200, $$$"""{"data":{"kv":"{{{Canned.AppId}}}"}}""");
        Node.On("POST", "/admin-api/alias/delete/context/main", 200, """{"data":null}""");

        await Client.CreateContextAliasAsync("main", Canned.ContextId);
        Assert.Equal($$$"""{"alias":"main","contextId":"{{{Canned.ContextId}}}"}""", Node.Last("POST", "/admin-api/alias/create/context").BodyText);
        var conflict = await Assert.ThrowsAsync<MeroApiException>(() => Client.CreateApplicationAliasAsync("kv", Canned.AppId));
        Assert.Equal(HttpStatusCode.Conflict, conflict.StatusCode);
        Assert.Equal("alias 'kv' already exists (HTTP 409)", conflict.Message);

        Assert.Equal(Canned.ContextId, await Client.LookupAliasAsync(AliasTarget.Context, "main"));
        Assert.Null(await Client.LookupAliasAsync(AliasTarget.Application, "none"));
        Assert.Equal(Canned.AppId, (await Client.ListAliasesAsync(AliasTarget.Application))["kv"]);
        await Client.DeleteAliasAsync(AliasTarget.Context, "main");
        Assert.Single(Node.Requests, r => r.Path == "/admin-api/alias/delete/context/main");
    }

    [Fact]
    public async Task Resolve_uses_an_id_as_is_and_looks_anything_else_up()
    {
        Node.On("POST", "/admin-api/alias/lookup/context/main", 200, $$$"""{"data":{"value":"{{{Canned.ContextId}}}"}}""");
        Node.On("POST", "/admin-api/alias/lookup/context/gone", 200, """{"data":{"value":null}}""");

        Assert.Equal(Canned.OtherId, await Client.ResolveAsync(AliasTarget.Context, Canned.OtherId));
        Assert.Empty(Node.Requests);
        Assert.Equal(Canned.ContextId, await Client.ResolveAsync(AliasTarget.Context, "main"));
        Assert.Null(await Client.ResolveAsync(AliasTarget.Context, "gone"));
        Assert.Equal(2, Node.Requests.Count);
    }

    [Fact]
    public async Task Leave_owned_identities_and_storage_read_their_envelopes()
    {
        Node.On("POST", $"/admin-api/contexts/{Canned.ContextId}/leave", 200, $$$"""{"data":{"contextId":"{{{Canned.ContextId}}}","memberPublicKey":"{{{Canned.PublicKey}}}"}}""");
        Node.On("POST", $"/admin-api/contexts/{Canned.OtherId}/leave", 409, """{"error":"this node holds no identity in context x (never joined here, or already left)"}""");
        Node.On("GET", $"/admin-api/contexts/{Canned.ContextId}/identities-owned", 200, $$$"""{"data":{"identities":["{{{Canned.PublicKey}}}"]}}""");
        Node.On("GET", $"/admin-api/contexts/{Canned.ContextId}/storage", 200, """{"data":{"sizeInBytes":4096}}""");

        var left = await Client.LeaveContextAsync(Canned.ContextId);
        Assert.Equal((Canned.ContextId, Canned.PublicKey), (left.ContextId, left.MemberPublicKey));
        var refused = await Assert.ThrowsAsync<MeroApiException>(() => Client.LeaveContextAsync(Canned.OtherId));
        Assert.Contains("already left", refused.Message, StringComparison.Ordinal);
        Assert.Equal([Canned.PublicKey], (await Client.GetOwnedContextIdentitiesAsync(Canned.ContextId)).Identities);
        Assert.Equal(4096, (await Client.GetContextStorageAsync(Canned.ContextId)).SizeInBytes);
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
