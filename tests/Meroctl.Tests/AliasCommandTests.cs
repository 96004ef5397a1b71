using Mero.TestSupport;
using Xunit;

namespace Meroctl.Tests;

/// <summary><c>context alias|use|leave</c>, <c>identity list --owned</c>, and alias resolution in id arguments, against a fake node.</summary>
public sealed class AliasCommandTests : IAsyncLifetime
{
    private FakeNode _node = null!;

    public async Task InitializeAsync()
    {
        _node = (await FakeNode.StartAsync()).WithDefaults();
        _node.On("POST", "/admin-api/alias/lookup/context/main", 200, $$$"""{"data":{"value":"{{{Canned.ContextId}}}"}}""");
        _node.On("POST", "/admin-api/alias/lookup/context/default", 200, $$$"""{"data":{"value":"{{{Canned.ContextId}}}"}}""");
        _node.On("POST", "/admin-api/alias/lookup/context/fresh", 200, """{"data":{"value":null}}""");
        _node.On("POST", "/admin-api/alias/lookup/context/nosuch", 200, """{"data":{"value":null}}""");
        _node.On("POST", "/admin-api/alias/lookup/application/kv", 200, $$$"""{"data":{"value":"{{{Canned.AppId}}}"}}""");
        _node.On("POST", "/admin-api/alias/create/context", 200, """{"data":null}""");
        _node.On("POST", "/admin-api/alias/delete/context/main", 200, """{"data":null}""");
        _node.On("GET", "/admin-api/alias/list/context", 200, $$$"""{"data":{"main":"{{{Canned.ContextId}}}","default":"{{{Canned.ContextId}}}"}}""");
        _node.On("GET", $"/admin-api/contexts/{Canned.ContextId}/identities-owned", 200, $$$"""{"data":{"identities":["{{{Canned.PublicKey}}}"]}}""");
        _node.On("POST", $"/admin-api/contexts/{Canned.ContextId}/leave", 200, $$$"""{"data":{"contextId":"{{{Canned.ContextId}}}","memberPublicKey":"{{{Canned.PublicKey}}}"}}""");
    }

    public async Task DisposeAsync() => await _node.DisposeAsync();

    private Task<(int Code, string Out, string Err)> Json(params string[] args) => CliRun.JsonAsync(_node.Url, args);

    [Fact]
    public async Task Alias_add_checks_the_target_then_creates_and_an_existing_name_needs_force()
    {
        var (code, output, _) = await Json("context", "alias", "add", "fresh", "main");
        Assert.Equal(0, code);
        Assert.True(CliRun.Parse(output).GetProperty("changed").GetBoolean());
        Assert.Equal($$$"""{"alias":"fresh","contextId":"{{{Canned.ContextId}}}"}""", _node.Last("POST", "/admin-api/alias/create/context").BodyText);

        // Already pointing there: nothing sent.
        var (same, sameOut, _) = await Json("context", "alias", "add", "main", Canned.ContextId);
        Assert.Equal(0, same);
        Assert.False(CliRun.Parse(sameOut).GetProperty("changed").GetBoolean());
        Assert.Single(_node.Requests, r => r.Path == "/admin-api/alias/create/context");

        var (missing, _, missingErr) = await Json("context", "alias", "add", "x", "nosuch");
        Assert.Equal(Cli.Failure, missing);
        Assert.Contains("neither a context id nor a context alias", missingErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Use_with_force_deletes_then_recreates_the_default_alias()
    {
        _node.On("POST", "/admin-api/alias/lookup/context/other", 200, $$$"""{"data":{"value":"{{{Canned.OtherId}}}"}}""");
        _node.On("POST", "/admin-api/alias/delete/context/default", 200, """{"data":null}""");

        var (refused, _, err) = await Json("context", "use", "other");
        Assert.Equal(Cli.Failure, refused);
        Assert.Contains("--force", err, StringComparison.Ordinal);
        Assert.DoesNotContain(_node.Requests, r => r.Path == "/admin-api/alias/create/context");

        var (code, _, _) = await Json("context", "use", "other", "--force");
        Assert.Equal(0, code);
        Assert.Single(_node.Requests, r => r.Path == "/admin-api/alias/delete/context/default");
        Assert.Equal($$$"""{"alias":"default","contextId":"{{{Canned.OtherId}}}"}""", _node.Last("POST", "/admin-api/alias/create/context").BodyText);
    }

    [Fact]
    public async Task Get_list_remove_and_bad_names()
    {
        var (get, getOut, _) = await Json("context", "alias", "get");
        Assert.Equal(0, get);
        Assert.Equal(Canned.ContextId, CliRun.Parse(getOut).GetProperty("value").GetString());
        Assert.Single(_node.Requests, r => r.Path == "/admin-api/alias/lookup/context/default");

        var (list, listOut, _) = await Json("context", "alias", "ls");
        Assert.Equal(0, list);
        Assert.Equal(Canned.ContextId, CliRun.Parse(listOut).GetProperty("main").GetString());
        Assert.Equal(0, (await Json("context", "alias", "rm", "main")).Code);

        foreach (var args in new[] { new[] { "context", "alias", "add", "has space", "main" }, ["context", "alias", "add", "default", "main"], ["context", "alias", "get", new string('a', 51)] })
        {
            var before = _node.Requests.Count;
            var (code, _, err) = await Json(args);
            Assert.Equal(Cli.UsageError, code);
            Assert.NotEqual("", err);
            Assert.Equal(before, _node.Requests.Count);
        }
    }

    [Fact]
    public async Task Aliases_resolve_in_call_identity_list_leave_and_app_get()
    {
        var (call, _, _) = await Json("call", "get", "--args", """{"key":"greeting"}""");
        Assert.Equal(0, call);
        Assert.Contains(Canned.ContextId, _node.Last("POST", "/jsonrpc").BodyText, StringComparison.Ordinal);

        var (owned, ownedOut, _) = await Json("context", "identity", "list", "-c", "main", "--owned");
        Assert.Equal(0, owned);
        Assert.Equal(Canned.PublicKey, CliRun.Parse(ownedOut).GetProperty("identities")[0].GetString());

        var (leave, leaveOut, _) = await Json("context", "leave", "main");
        Assert.Equal(0, leave);
        Assert.Equal(Canned.PublicKey, CliRun.Parse(leaveOut).GetProperty("memberPublicKey").GetString());

        var (app, appOut, _) = await Json("app", "get", "kv");
        Assert.Equal(0, app);
        Assert.Equal(Canned.AppId, CliRun.Parse(appOut).GetProperty("application").GetProperty("id").GetString());
    }
}
