using System.Text.Json;
using Mero.TestSupport;
using Xunit;

namespace Meroctl.Tests;

/// <summary><c>namespace delete/leave/create-group</c> and <c>group delete/leave/subgroups</c>: routes, methods, bodies and output.</summary>
public sealed class GovernanceLifecycleCommandTests : IAsyncLifetime
{
    private const string Ns = "4vJ9JU1bJJE96FWSJKvHsmmFADCg4gpZQff4P3bkLKi";
    private const string Group = "8qbHbw2BbbTHBW1sbeqakYXVKRQM8Ne7pLK7m6CVfeR";
    private const string Member = "GfHq2tTVk9z4eXgyUXQ6dJ5mNUMgj6zNMtHnYq2QHmCh";
    private FakeNode _node = null!;

    public async Task InitializeAsync()
    {
        _node = await FakeNode.StartAsync();
        _node.On("DELETE", $"/admin-api/namespaces/{Ns}", 200, """{"data":{"isDeleted":true}}""");
        _node.On("POST", $"/admin-api/namespaces/{Ns}/leave", 200, $$$"""{"data":{"namespaceId":"{{{Ns}}}","memberPublicKey":"{{{Member}}}"}}""");
        _node.On("POST", $"/admin-api/namespaces/{Ns}/groups", 200, $$$"""{"data":{"groupId":"{{{Group}}}"}}""");
        _node.On("GET", $"/admin-api/groups/{Ns}/subgroups", 200, $$$"""{"subgroups":[{"groupId":"{{{Group}}}","name":"eng"}]}""");
        _node.On("DELETE", $"/admin-api/groups/{Group}", 200, """{"data":{"isDeleted":true}}""");
        _node.On("POST", $"/admin-api/groups/{Group}/leave", 200, $$$"""{"data":{"groupId":"{{{Group}}}","memberPublicKey":"{{{Member}}}"}}""");
        _node.On("POST", $"/admin-api/groups/{Ns}/leave", 400, """{"error":"is a namespace root: use namespace leave"}""");
    }

    public async Task DisposeAsync() => await _node.DisposeAsync();

    private Task<(int Code, string Out, string Err)> Json(params string[] args) => CliRun.JsonAsync(_node.Url, args);

    private static JsonElement Parse(string text) => CliRun.Parse(text);

    [Fact]
    public async Task Namespace_delete_and_its_alias_send_delete()
    {
        foreach (var name in new[] { "delete", "del" })
        {
            var (code, output, _) = await Json("namespace", name, Ns);
            Assert.Equal(0, code);
            Assert.True(Parse(output).GetProperty("isDeleted").GetBoolean());
        }

        Assert.Equal(2, _node.Requests.Count(r => r.Method == "DELETE" && r.Path == $"/admin-api/namespaces/{Ns}"));
    }

    [Fact]
    public async Task Namespace_leave_posts_and_prints_the_member_key()
    {
        var (code, output, _) = await Json("ns", "leave", Ns);
        Assert.Equal(0, code);
        Assert.Equal(Member, Parse(output).GetProperty("memberPublicKey").GetString());
        Assert.Equal("POST", _node.Last("POST", $"/admin-api/namespaces/{Ns}/leave").Method);
    }

    [Fact]
    public async Task Namespace_create_group_sends_name_and_visibility()
    {
        var (code, output, _) = await Json("namespace", "create-group", Ns, "--alias", "eng", "--visibility", "open");
        Assert.Equal(0, code);
        Assert.Equal(Group, Parse(output).GetProperty("groupId").GetString());
        var body = Parse(_node.Last("POST", $"/admin-api/namespaces/{Ns}/groups").BodyText);
        Assert.Equal("eng", body.GetProperty("groupName").GetString());
        Assert.Equal("open", body.GetProperty("visibility").GetString());
    }

    [Fact]
    public async Task Group_subgroups_delete_and_leave()
    {
        var (code, output, _) = await Json("group", "subgroups", Ns);
        Assert.Equal(0, code);
        var subgroups = Parse(output).GetProperty("subgroups");
        Assert.Equal(Group, subgroups[0].GetProperty("groupId").GetString());
        Assert.Equal("eng", subgroups[0].GetProperty("name").GetString());

        (code, output, _) = await Json("group", "del", Group);
        Assert.Equal(0, code);
        Assert.True(Parse(output).GetProperty("isDeleted").GetBoolean());

        (code, output, _) = await Json("group", "leave", Group);
        Assert.Equal(0, code);
        Assert.Equal(Group, Parse(output).GetProperty("groupId").GetString());
    }

    [Fact]
    public async Task A_refusal_is_reported_with_the_nodes_reason_and_exit_1()
    {
        var (code, _, err) = await Json("group", "leave", Ns);
        Assert.Equal(1, code);
        Assert.Contains("namespace leave", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Missing_id_is_a_usage_error_without_a_request()
    {
        var (code, _, _) = await Json("namespace", "leave");
        Assert.Equal(2, code);
        Assert.Empty(_node.Requests);
    }
}
