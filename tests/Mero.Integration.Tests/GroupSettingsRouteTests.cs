using System.Text.Json;
using Mero.Node.Configuration;
using Xunit;

namespace Mero.Integration.Tests;

/// <summary>
/// Group settings, member add, detach, sync, PATCH and the context-group / namespaces-for-application
/// routes on two real merod processes: wire shapes, propagation, and refusals that leave the DAG as it was.
/// </summary>
public sealed class GroupSettingsRouteTests
{
    private const string UnknownKey = "GfHq2tTVk9z4eXgyUXQ6dJ5mNUMgj6zNMtHnYq2QHmCh";
    private static readonly string UnknownId = ContextId.FromBytes(Enumerable.Repeat((byte)9, 32).ToArray()).ToString();

    [Fact]
    public async Task Settings_member_add_detach_and_sync_routes_with_their_refusals()
    {
        await using var node1 = await MerodProcess.StartAsync("node1");
        await using var node2 = await BootstrappedAsync("node2", node1);
        await FailureLogs.RunAsync([node1, node2], async () =>
        {
            var app = await node1.Http.InstallAppAsync(RepoPaths.App("kv-store"));
            Assert.Equal(app, await node2.Http.InstallAppAsync(RepoPaths.App("kv-store")));
            var created = (await node1.Http.SendJsonAsync(HttpMethod.Post, "/admin-api/namespaces", new { applicationId = app, name = "team" })).GetProperty("data");
            var ns = created.GetString("namespaceId")!;
            var context = created.GetString("contextId")!;
            var invitation = (await node1.Http.SendJsonAsync(HttpMethod.Post, $"/admin-api/namespaces/{ns}/invite", "{}")).GetProperty("data").GetProperty("invitation");
            var member2 = (await node2.Http.SendJsonAsync(HttpMethod.Post, $"/admin-api/namespaces/{ns}/join", new { invitation })).GetProperty("data").GetString("memberIdentity")!;
            var sub = (await node1.Http.SendJsonAsync(HttpMethod.Post, $"/admin-api/namespaces/{ns}/groups", new { groupName = "eng" })).GetProperty("data").GetString("groupId")!;

            // Lookups: the namespace by its application, the context's group.
            var listed = (await node1.Http.SendJsonAsync(HttpMethod.Get, $"/admin-api/namespaces/for-application/{app}")).GetProperty("data");
            Assert.Equal([ns], listed.EnumerateArray().Select(n => n.GetString("namespaceId")));
            Assert.Empty((await node1.Http.SendJsonAsync(HttpMethod.Get, $"/admin-api/namespaces/for-application/{app}?offset=1")).GetProperty("data").EnumerateArray());
            Assert.Empty((await node1.Http.SendJsonAsync(HttpMethod.Get, $"/admin-api/namespaces/for-application/{UnknownId}")).GetProperty("data").EnumerateArray());
            await node1.Http.SendJsonAsync(HttpMethod.Get, $"/admin-api/namespaces/for-application/{app}?limit=-1", expectedStatus: 400);
            await node1.Http.SendJsonAsync(HttpMethod.Get, "/admin-api/namespaces/for-application/nope", expectedStatus: 400);
            Assert.Equal(ns, (await node1.Http.SendJsonAsync(HttpMethod.Get, $"/admin-api/contexts/{context}/group")).GetString("data"));
            Assert.Equal(JsonValueKind.Null, (await node1.Http.SendJsonAsync(HttpMethod.Get, $"/admin-api/contexts/{UnknownId}/group")).GetProperty("data").ValueKind);
            await node1.Http.SendJsonAsync(HttpMethod.Get, "/admin-api/contexts/xyz/group", expectedStatus: 400);

            // Settings by the admin: upstream bodies, {} answers, visible in the group info.
            Assert.Equal("{}", (await node1.Http.SendJsonAsync(HttpMethod.Put, $"/admin-api/groups/{sub}/settings/default-capabilities", new { defaultCapabilities = 3 })).GetRawText());
            Assert.Equal("{}", (await node1.Http.SendJsonAsync(HttpMethod.Put, $"/admin-api/groups/{sub}/settings/subgroup-visibility", new { subgroupVisibility = "open" })).GetRawText());
            var info = (await node1.Http.SendJsonAsync(HttpMethod.Get, $"/admin-api/groups/{sub}")).GetProperty("data");
            Assert.Equal((3u, "open"), (info.GetProperty("defaultCapabilities").GetUInt32(), info.GetString("subgroupVisibility")));
            var patched = (await node1.Http.SendJsonAsync(new HttpMethod("PATCH"), $"/admin-api/groups/{sub}", new { name = "platform", subgroupVisibility = "restricted" })).GetProperty("data");
            Assert.Equal(("platform", "restricted", 3u), (patched.GetString("name"), patched.GetString("subgroupVisibility"), patched.GetProperty("defaultCapabilities").GetUInt32()));

            // Bad bodies and unknown targets on the admin's node: 400 / 404, and the DAG did not move.
            var heads1 = await HeadsAsync(node1, ns);
            await node1.Http.SendJsonAsync(HttpMethod.Put, $"/admin-api/groups/{sub}/settings/default-capabilities", "{}", expectedStatus: 400);
            await node1.Http.SendJsonAsync(HttpMethod.Put, $"/admin-api/groups/{sub}/settings/default-capabilities", new { defaultCapabilities = 1024 }, expectedStatus: 400);
            await node1.Http.SendJsonAsync(HttpMethod.Put, $"/admin-api/groups/{sub}/settings/default-capabilities", "{nope", expectedStatus: 400);
            await node1.Http.SendJsonAsync(HttpMethod.Put, $"/admin-api/groups/{UnknownId}/settings/default-capabilities", new { defaultCapabilities = 1 }, expectedStatus: 404);
            await node1.Http.SendJsonAsync(HttpMethod.Put, $"/admin-api/groups/{sub}/settings/subgroup-visibility", new { subgroupVisibility = "public" }, expectedStatus: 400);
            await node1.Http.SendJsonAsync(HttpMethod.Put, $"/admin-api/groups/{ns}/settings/subgroup-visibility", new { subgroupVisibility = "open" }, expectedStatus: 400);
            await node1.Http.SendJsonAsync(new HttpMethod("PATCH"), $"/admin-api/groups/{sub}", "{}", expectedStatus: 400);
            await node1.Http.SendJsonAsync(HttpMethod.Post, $"/admin-api/groups/{sub}/members", new { members = Array.Empty<object>() }, expectedStatus: 400);
            await node1.Http.SendJsonAsync(HttpMethod.Post, $"/admin-api/groups/{sub}/members", new { members = new[] { new { identity = member2, role = "Owner" } } }, expectedStatus: 400);
            var stranger = Error(await node1.Http.SendJsonAsync(HttpMethod.Post, $"/admin-api/groups/{sub}/members", new { members = new[] { new { identity = member2, role = "Member" }, new { identity = UnknownKey, role = "Member" } } }, expectedStatus: 404));
            Assert.Contains("invite it to the namespace first", stranger, StringComparison.Ordinal);
            await node1.Http.SendJsonAsync(HttpMethod.Post, $"/admin-api/groups/{sub}/contexts/{context}/remove", "{}", expectedStatus: 404);
            await node1.Http.SendJsonAsync(HttpMethod.Post, $"/admin-api/groups/{sub}/contexts/xyz/remove", "{}", expectedStatus: 400);
            await node1.Http.SendJsonAsync(HttpMethod.Post, $"/admin-api/groups/{UnknownId}/sync", "{}", expectedStatus: 404);
            Assert.Equal(heads1, await HeadsAsync(node1, ns));
            Assert.DoesNotContain(member2, await MemberKeysAsync(node1, sub));

            // node2, a plain member, is refused every write (403) and its DAG does not move either.
            await EventuallyAsync(async () => (await node2.Http.SendJsonAsync(HttpMethod.Get, $"/admin-api/groups/{sub}")).GetProperty("data").GetString("name") == "platform", "node2 sees the patched subgroup");
            var heads2 = await HeadsAsync(node2, ns);
            await node2.Http.SendJsonAsync(HttpMethod.Put, $"/admin-api/groups/{sub}/settings/default-capabilities", new { defaultCapabilities = 511 }, expectedStatus: 403);
            await node2.Http.SendJsonAsync(HttpMethod.Put, $"/admin-api/groups/{sub}/settings/subgroup-visibility", new { subgroupVisibility = "open" }, expectedStatus: 403);
            await node2.Http.SendJsonAsync(new HttpMethod("PATCH"), $"/admin-api/groups/{sub}", new { name = "mine" }, expectedStatus: 403);
            await node2.Http.SendJsonAsync(HttpMethod.Post, $"/admin-api/groups/{sub}/members", new { members = new[] { new { identity = member2, role = "Admin" } } }, expectedStatus: 403);
            await node2.Http.SendJsonAsync(HttpMethod.Post, $"/admin-api/groups/{ns}/contexts/{context}/remove", "{}", expectedStatus: 403);
            Assert.Equal(heads2, await HeadsAsync(node2, ns));

            // The admin adds node2 to the subgroup; node2 sees itself there.
            Assert.Equal("{}", (await node1.Http.SendJsonAsync(HttpMethod.Post, $"/admin-api/groups/{sub}/members", new { members = new[] { new { identity = member2, role = "ReadOnly" } } })).GetRawText());
            await EventuallyAsync(async () => (await MemberKeysAsync(node2, sub)).Contains(member2), "node2 is a member of the subgroup");

            // Sync on node2: one peer asked, none failed, the same state hash as node1's.
            var synced = (await node2.Http.SendJsonAsync(HttpMethod.Post, $"/admin-api/groups/{sub}/sync", "{}")).GetProperty("data");
            Assert.Equal((sub, 0), (synced.GetString("groupId"), synced.GetProperty("peersFailed").GetInt32()));
            Assert.True(synced.GetProperty("peersAsked").GetInt32() >= 1, synced.ToString());
            Assert.Equal(app, synced.GetString("targetApplicationId"));
            Assert.Equal((await node1.Http.SendJsonAsync(HttpMethod.Get, $"/admin-api/groups/{sub}")).GetProperty("data").GetString("groupStateHash"), synced.GetString("groupStateHash"));

            // Detach by the admin: the context is in no group any more, on both nodes.
            Assert.Equal("{}", (await node1.Http.SendJsonAsync(HttpMethod.Post, $"/admin-api/groups/{ns}/contexts/{context}/remove", "{}")).GetRawText());
            Assert.Equal(JsonValueKind.Null, (await node1.Http.SendJsonAsync(HttpMethod.Get, $"/admin-api/contexts/{context}/group")).GetProperty("data").ValueKind);
            await EventuallyAsync(async () => (await node2.Http.SendJsonAsync(HttpMethod.Get, $"/admin-api/contexts/{context}/group")).GetProperty("data").ValueKind == JsonValueKind.Null, "node2 sees the detach");
        });
    }

    private static string Error(JsonElement body) => body.GetProperty("error").GetString()!;

    private static async Task<List<string>> HeadsAsync(MerodProcess node, string ns) =>
        [.. (await node.Http.SendJsonAsync(HttpMethod.Get, $"/admin-api/namespaces/{ns}")).GetProperty("data").GetProperty("dagHeads").EnumerateArray().Select(h => h.GetString()!).Order(StringComparer.Ordinal)];

    private static async Task<List<string>> MemberKeysAsync(MerodProcess node, string group) =>
        [.. (await node.Http.SendJsonAsync(HttpMethod.Get, $"/admin-api/groups/{group}/members")).GetProperty("members").EnumerateArray().Select(m => m.GetString("identity")!)];

    private static async Task EventuallyAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new Xunit.Sdk.XunitException($"timed out waiting until {what}");
            }

            await Task.Delay(100);
        }
    }

    private static async Task<MerodProcess> BootstrappedAsync(string name, MerodProcess boot)
    {
        var node = await MerodProcess.InitAsync(name);
        var path = Path.Combine(node.NodeHome, NodeConfigFile.FileName);
        var config = NodeConfigFile.Load(path);
        config.Bootstrap.Nodes = [$"/ip4/127.0.0.1/tcp/{boot.SwarmPort}/p2p/{NodeConfigFile.Load(Path.Combine(boot.NodeHome, NodeConfigFile.FileName)).Identity.PeerId}"];
        config.Save(path);
        await node.StartAsync();
        return node;
    }
}
