using System.Text.Json;
using Mero.TestSupport;
using Xunit;

namespace Meroctl.Tests;

/// <summary><c>group reparent / metadata / member-metadata / context-metadata / transfer-ownership</c>: routes, bodies, output.</summary>
public sealed class GovernanceStructureCommandTests : IAsyncLifetime
{
    private const string Group = "8qbHbw2BbbTHBW1sbeqakYXVKRQM8Ne7pLK7m6CVfeR";
    private const string Parent = "4vJ9JU1bJJE96FWSJKvHsmmFADCg4gpZQff4P3bkLKi";
    private const string Member = "GfHq2tTVk9z4eXgyUXQ6dJ5mNUMgj6zNMtHnYq2QHmCh";
    private const string Context = "5FjHoAqcUgrVHDczK1kzSR8QRvx5JUmhiM3bDrpGWnNn";
    private FakeNode _node = null!;

    public async Task InitializeAsync()
    {
        _node = await FakeNode.StartAsync();
        _node.On("POST", $"/admin-api/groups/{Group}/reparent", 200, """{"reparented":true}""");
        _node.On("POST", $"/admin-api/groups/{Parent}/reparent", 400, """{"error":"cannot ReparentGroup: ReparentCycle: is one of its descendants"}""");
        _node.On("GET", $"/admin-api/groups/{Group}/metadata", 200, """{"data":{"name":"eng","data":{"keep":"1","drop":"2"}}}""");
        _node.On("PUT", $"/admin-api/groups/{Group}/metadata", 200, "{}");
        _node.On("GET", $"/admin-api/groups/{Group}/members/{Member}/metadata", 200, """{"data":null}""");
        _node.On("PUT", $"/admin-api/groups/{Group}/members/{Member}/metadata", 200, "{}");
        _node.On("GET", $"/admin-api/groups/{Group}/contexts/{Context}/metadata", 200, """{"data":{"name":"board","data":{}}}""");
        _node.On("POST", $"/admin-api/groups/{Group}/transfer-ownership", 200, $$$"""{"data":{"groupId":"{{{Group}}}","owner":"{{{Member}}}"}}""");
    }

    public async Task DisposeAsync() => await _node.DisposeAsync();

    private Task<(int Code, string Out, string Err)> Json(params string[] args) => CliRun.JsonAsync(_node.Url, args);

    private static JsonElement Parse(string text) => CliRun.Parse(text);

    [Fact]
    public async Task Reparent_posts_the_new_parent_and_a_refusal_exits_1_with_the_reason()
    {
        var (code, output, _) = await Json("group", "reparent", Group, Parent);
        Assert.Equal(0, code);
        Assert.True(Parse(output).GetProperty("reparented").GetBoolean());
        Assert.Equal(Parent, Parse(_node.Last("POST", $"/admin-api/groups/{Group}/reparent").BodyText).GetProperty("newParentId").GetString());

        var (failed, _, error) = await Json("group", "reparent", Parent, Group);
        Assert.Equal(1, failed);
        Assert.Contains("ReparentCycle", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metadata_set_reads_merges_and_writes_the_whole_record()
    {
        var (code, output, _) = await Json("group", "metadata", "set", Group, "--set", "new=3", "--set", "keep=x=y", "--unset", "drop");
        Assert.Equal(0, code);
        var body = Parse(_node.Last("PUT", $"/admin-api/groups/{Group}/metadata").BodyText);
        Assert.False(body.TryGetProperty("name", out _));
        Assert.Equal("""{"keep":"x=y","new":"3"}""", body.GetProperty("data").GetRawText());
        Assert.Equal("eng", Parse(output).GetProperty("data").GetProperty("name").GetString());

        // --replace-data does not read; a member record that was never set starts empty.
        Assert.Equal(0, (await Json("group", "member-metadata", "set", Group, Member, "--name", "alice", "--set", "k=v")).Code);
        body = Parse(_node.Last("PUT", $"/admin-api/groups/{Group}/members/{Member}/metadata").BodyText);
        Assert.Equal("alice", body.GetProperty("name").GetString());
        Assert.Equal("""{"k":"v"}""", body.GetProperty("data").GetRawText());

        var (get, record, _) = await Json("group", "context-metadata", "get", Group, Context);
        Assert.Equal(0, get);
        Assert.Equal("board", Parse(record).GetProperty("data").GetProperty("name").GetString());
    }

    [Fact]
    public async Task Metadata_set_rejects_bad_pairs_and_conflicting_flags_before_any_request()
    {
        var before = _node.Requests.Count;
        Assert.Equal(2, (await Json("group", "metadata", "set", Group, "--set", "novalue")).Code);
        Assert.Equal(2, (await Json("group", "metadata", "set", Group, "--unset", "a", "--replace-data")).Code);
        Assert.Equal(before, _node.Requests.Count);
    }

    [Fact]
    public async Task Transfer_ownership_posts_the_new_owner()
    {
        var (code, output, _) = await Json("group", "transfer-ownership", Group, Member);
        Assert.Equal(0, code);
        Assert.Equal(Member, Parse(output).GetProperty("owner").GetString());
        Assert.Equal(Member, Parse(_node.Last("POST", $"/admin-api/groups/{Group}/transfer-ownership").BodyText).GetProperty("newOwner").GetString());
    }
}
