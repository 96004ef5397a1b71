using System.Text.Json;
using Mero.Api;
using Mero.TestSupport;
using Xunit;

namespace Mero.Client.Tests;

/// <summary>Group settings, member add, detach, sync and the lookups: methods, paths, bodies and answers.</summary>
public sealed class MeroClientGroupsTests : FakeNodeClientTest
{
    private const string Group = "8qbHbw2BbbTHBW1sbeqakYXVKRQM8Ne7pLK7m6CVfeR";
    [Fact]
    public async Task Context_group_is_the_id_or_null()
    {
        Node.On("GET", "/admin-api/contexts/a/group", 200, $$"""{"data":"{{Group}}"}""");
        Node.On("GET", "/admin-api/contexts/b/group", 200, """{"data":null}""");

        Assert.Equal(Group, await Client.GetContextGroupAsync("a"));
        Assert.Null(await Client.GetContextGroupAsync("b"));
    }

    [Fact]
    public async Task Patch_sends_only_the_given_fields_and_reads_the_group_back()
    {
        Node.On("PATCH", $"/admin-api/groups/{Group}", 200, $$$"""{"data":{"groupId":"{{{Group}}}","appKey":"","targetApplicationId":"","memberCount":1,"contextCount":0,"defaultCapabilities":4,"subgroupVisibility":"open","groupStateHash":"00","name":"eng"}}""");

        var group = await Client.UpdateGroupSettingsAsync(Group, new UpdateGroupSettingsRequest(Name: "eng"));

        Assert.Equal(("eng", "open"), (group.Name, group.SubgroupVisibility));
        Assert.Equal("""{"name":"eng"}""", Node.Last("PATCH", $"/admin-api/groups/{Group}").BodyText);
    }

    [Fact]
    public async Task Writes_use_upstreams_paths_and_a_refusal_carries_the_status()
    {
        Node.On("POST", $"/admin-api/groups/{Group}/members", 200, "{}");
        Node.On("PUT", $"/admin-api/groups/{Group}/settings/subgroup-visibility", 403, """{"error":"changing visibility needs admin"}""");
        Node.On("GET", "/admin-api/namespaces/for-application/app", 200, """{"data":[{"namespaceId":"n","appKey":"app","targetApplicationId":"app","createdAt":0,"name":null,"memberCount":2,"contextCount":1,"subgroupCount":0}]}""");

        await Client.AddGroupMembersAsync(Group, new AddGroupMembersRequest([new GroupMemberInput("k", "ReadOnly")]));
        using var body = JsonDocument.Parse(Node.Last("POST", $"/admin-api/groups/{Group}/members").BodyText);
        Assert.Equal("ReadOnly", body.RootElement.GetProperty("members")[0].GetProperty("role").GetString());

        var refused = await Assert.ThrowsAsync<MeroApiException>(() => Client.SetSubgroupVisibilityAsync(Group, "open"));
        Assert.Equal((System.Net.HttpStatusCode.Forbidden, "changing visibility needs admin"), (refused.StatusCode, refused.ServerMessage));

        Assert.Equal(["n"], (await Client.ListNamespacesForApplicationAsync("app")).Select(n => n.NamespaceId));
    }
}
