using System.Text.Json;
using Mero.TestSupport;
using Xunit;

namespace Meroctl.Tests;

/// <summary><c>group settings / members add / members check-access / contexts detach / sync</c>: routes, bodies, output.</summary>
public sealed class GovernanceSettingsCommandTests : IAsyncLifetime
{
    private const string Group = "8qbHbw2BbbTHBW1sbeqakYXVKRQM8Ne7pLK7m6CVfeR";
    private const string Other = "4vJ9JU1bJJE96FWSJKvHsmmFADCg4gpZQff4P3bkLKi";
    private const string Member = "GfHq2tTVk9z4eXgyUXQ6dJ5mNUMgj6zNMtHnYq2QHmCh";
    private const string Context = "5FjHoAqcUgrVHDczK1kzSR8QRvx5JUmhiM3bDrpGWnNn";
    private FakeNode _node = null!;

    public async Task InitializeAsync()
    {
        _node = await FakeNode.StartAsync();
        _node.On("GET", $"/admin-api/groups/{Group}", 200, $$$"""{"data":{"groupId":"{{{Group}}}","appKey":"","targetApplicationId":"","memberCount":2,"contextCount":1,"defaultCapabilities":5,"subgroupVisibility":"open","groupStateHash":"00"}}""");
        _node.On("PUT", $"/admin-api/groups/{Group}/settings/default-capabilities", 200, "{}");
        _node.On("PUT", $"/admin-api/groups/{Group}/settings/subgroup-visibility", 200, "{}");
        _node.On("POST", $"/admin-api/groups/{Group}/members", 200, "{}");
        _node.On("POST", $"/admin-api/groups/{Other}/members", 403, """{"error":"this node's identity may not add members"}""");
        _node.On("GET", $"/admin-api/groups/{Group}/members", 200, $$$"""{"members":[{"identity":"{{{Member}}}","role":"ReadOnly","capabilities":260}]}""");
        _node.On("POST", $"/admin-api/groups/{Group}/contexts/{Context}/remove", 200, "{}");
        _node.On("POST", $"/admin-api/groups/{Other}/contexts/{Context}/remove", 404, """{"error":"context is not registered in group"}""");
        _node.On("POST", $"/admin-api/groups/{Group}/sync", 200, $$$"""{"data":{"groupId":"{{{Group}}}","appKey":"a","targetApplicationId":"a","memberCount":2,"contextCount":1,"peersAsked":3,"peersFailed":1,"opsFetched":4,"groupStateHash":"ab"}}""");
    }

    public async Task DisposeAsync() => await _node.DisposeAsync();

    private Task<(int Code, string Out, string Err)> Json(params string[] args) => CliRun.JsonAsync(_node.Url, args);

    private static JsonElement Parse(string text) => CliRun.Parse(text);

    [Fact]
    public async Task Settings_get_reads_the_group_and_the_setters_send_upstreams_bodies()
    {
        var (code, output, _) = await Json("group", "settings", "get", Group);
        Assert.Equal(0, code);
        Assert.Equal(("open", 5u), (Parse(output).GetProperty("subgroupVisibility").GetString(), Parse(output).GetProperty("defaultCapabilities").GetUInt32()));

        Assert.Equal(0, (await Json("group", "settings", "set-default-caps", Group, "--can-create-context", "--can-manage-metadata")).Code);
        Assert.Equal(257u, Parse(_node.Last("PUT", $"/admin-api/groups/{Group}/settings/default-capabilities").BodyText).GetProperty("defaultCapabilities").GetUInt32());
        Assert.Equal(0, (await Json("group", "settings", "set-default-capabilities", Group, "0x6")).Code);
        Assert.Equal(6u, Parse(_node.Last("PUT", $"/admin-api/groups/{Group}/settings/default-capabilities").BodyText).GetProperty("defaultCapabilities").GetUInt32());

        Assert.Equal(0, (await Json("group", "settings", "set-subgroup-vis", Group, "--mode", "restricted")).Code);
        Assert.Equal("restricted", Parse(_node.Last("PUT", $"/admin-api/groups/{Group}/settings/subgroup-visibility").BodyText).GetProperty("subgroupVisibility").GetString());
    }

    [Fact]
    public async Task Bad_settings_arguments_are_usage_errors_before_any_request()
    {
        var before = _node.Requests.Count;
        Assert.Equal(2, (await Json("group", "settings", "set-subgroup-vis", Group, "--mode", "public")).Code);
        Assert.Equal(2, (await Json("group", "settings", "set-subgroup-vis", Group)).Code);
        Assert.Equal(2, (await Json("group", "settings", "set-default-caps", Group, "can-fly")).Code);
        Assert.Equal(2, (await Json("group", "members", "add", Group, Member, "admin", "--role", "member")).Code);
        Assert.Equal(before, _node.Requests.Count);
    }

    [Fact]
    public async Task Members_add_posts_identity_and_role_and_a_refusal_exits_1()
    {
        Assert.Equal(0, (await Json("group", "members", "add", Group, Member)).Code);
        var entry = Assert.Single(Parse(_node.Last("POST", $"/admin-api/groups/{Group}/members").BodyText).GetProperty("members").EnumerateArray());
        Assert.Equal((Member, "member"), (entry.GetProperty("identity").GetString(), entry.GetProperty("role").GetString()));

        Assert.Equal(0, (await Json("group", "members", "add", Group, Member, "--role", "admin")).Code);
        entry = Assert.Single(Parse(_node.Last("POST", $"/admin-api/groups/{Group}/members").BodyText).GetProperty("members").EnumerateArray());
        Assert.Equal("admin", entry.GetProperty("role").GetString());

        var (failed, _, error) = await Json("group", "members", "add", Other, Member, "read-only");
        Assert.Equal(1, failed);
        Assert.Contains("may not add members", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_access_reports_role_and_capabilities_or_not_a_member()
    {
        var (code, output, _) = await Json("group", "members", "check-access", Group, Member);
        Assert.Equal(0, code);
        var result = Parse(output);
        Assert.Equal(("ReadOnly", 260u), (result.GetProperty("role").GetString(), result.GetProperty("capabilities").GetUInt32()));
        Assert.Equal(["can-join-open-subgroups", "can-manage-metadata"], result.GetProperty("granted").EnumerateArray().Select(e => e.GetString()));

        (code, output, _) = await Json("group", "members", "check-access", Group, Context);
        Assert.Equal(0, code);
        Assert.Equal(("not a member", 0u), (Parse(output).GetProperty("role").GetString(), Parse(output).GetProperty("capabilities").GetUInt32()));
    }

    [Fact]
    public async Task Contexts_detach_and_sync_call_their_routes()
    {
        Assert.Equal(0, (await Json("group", "contexts", "detach", Group, Context)).Code);
        Assert.NotNull(_node.Last("POST", $"/admin-api/groups/{Group}/contexts/{Context}/remove"));
        var (failed, _, error) = await Json("group", "contexts", "detach", Other, Context);
        Assert.Equal(1, failed);
        Assert.Contains("not registered", error, StringComparison.Ordinal);

        var (code, output, _) = await Json("group", "sync", Group);
        Assert.Equal(0, code);
        var synced = Parse(output);
        Assert.Equal((3, 1, 4), (synced.GetProperty("peersAsked").GetInt32(), synced.GetProperty("peersFailed").GetInt32(), synced.GetProperty("opsFetched").GetInt32()));
    }
}
