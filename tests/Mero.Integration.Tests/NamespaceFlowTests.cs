using System.Text.Json;
using Mero.Node.Configuration;
using Xunit;

namespace Mero.Integration.Tests;

/// <summary>
/// The seeds' multi-node flow (contexts.txt) on two real merod processes over loopback libp2p, node2
/// bootstrapped to node1, driven by meroctl exactly as written there: namespace create, invite, join,
/// group join-context; then both nodes list the context and the same members, and set-caps propagates;
/// then subgroups, namespace leave (writes refused afterwards), group and namespace delete.
/// </summary>
public sealed class NamespaceFlowTests
{
    /// <summary>How long a change may take to show on the other node; generous because CI's two cores are shared.</summary>
    private static readonly TimeSpan Eventually = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Namespace_create_invite_join_and_join_context_across_two_nodes()
    {
        await using var node1 = await MerodProcess.StartAsync("node1");
        await using var node2 = await MerodProcess.StartAsync("node2");
        var peer1 = NodeConfigFile.Load(Path.Combine(node1.NodeHome, NodeConfigFile.FileName)).Identity.PeerId;
        await node2.StopAsync();
        var config2Path = Path.Combine(node2.NodeHome, NodeConfigFile.FileName);
        var config2 = NodeConfigFile.Load(config2Path);
        config2.Bootstrap.Nodes = [$"/ip4/127.0.0.1/tcp/{node1.SwarmPort}/p2p/{peer1}"];
        config2.Save(config2Path);
        await node2.StartAsync();

        await FailureLogs.RunAsync([node1, node2], async () =>
        {
            var app = await node1.Http.InstallAppAsync(RepoPaths.App("kv-store"));
            Assert.Equal(app, await node2.Http.InstallAppAsync(RepoPaths.App("kv-store")));

            var created = Json((await MeroctlAsync(node1, "namespace", "create", "--application-id", app, "--output-format", "json")).Stdout);
            var ns = created.GetProperty("namespaceId").GetString()!;
            var context = created.GetProperty("contextId").GetString()!;

            var invitation = (await MeroctlAsync(node1, "namespace", "invite", ns)).Stdout;
            Assert.Contains("\"invitation\"", invitation, StringComparison.Ordinal);

            var joined = await MeroctlAsync(node2, "namespace", "join", ns, invitation);
            Assert.Contains("Successfully joined namespace", joined.Stdout, StringComparison.Ordinal);
            var joinedContext = await MeroctlAsync(node2, "group", "join-context", context);
            Assert.Contains(context, joinedContext.Stdout, StringComparison.Ordinal);

            // Both nodes list the context and the same members of the namespace.
            foreach (var node in (MerodProcess[])[node1, node2])
            {
                var contexts = Json((await MeroctlAsync(node, "context", "ls", "--output-format", "json")).Stdout).GetProperty("contexts");
                Assert.Contains(contexts.EnumerateArray(), c => c.GetProperty("id").GetString() == context && c.GetProperty("applicationId").GetString() == app);
            }

            var members1 = await MembersAsync(node1, ns);
            var member2 = Json((await MeroctlAsync(node2, "namespace", "identity", ns, "--output-format", "json")).Stdout).GetProperty("publicKey").GetString()!;
            Assert.Equal(2, members1.Count);
            Assert.Equal("Member", members1[member2]);
            Assert.Equal(members1, await MembersAsync(node2, ns));

            // node2's context identity is its namespace identity.
            var identities = await node2.Http.SendJsonAsync(HttpMethod.Get, $"/admin-api/contexts/{context}/identities");
            Assert.Contains(identities.GetProperty("data").GetProperty("identities").EnumerateArray(), i => i.GetString() == member2);

            // `call` on either node reaches the other (context replication over the governed context).
            await MeroctlAsync(node1, "call", "set", "--context", context, "--args", "{\"key\":\"from1\",\"value\":\"a\"}");
            Assert.Equal("a", await EventuallyGetAsync(node2, context, "from1"));
            await MeroctlAsync(node2, "call", "set", "--context", context, "--args", "{\"key\":\"from2\",\"value\":\"b\"}");
            Assert.Equal("b", await EventuallyGetAsync(node1, context, "from2"));

            // set-caps on node1 reaches node2 by gossip.
            await MeroctlAsync(node1, "group", "members", "set-caps", ns, member2, "can-create-context,can-invite-members");
            var deadline = DateTime.UtcNow.Add(Eventually);
            uint caps = 0;
            while (DateTime.UtcNow < deadline && caps != 3)
            {
                caps = Json((await MeroctlAsync(node2, "group", "members", "get-caps", ns, member2, "--output-format", "json")).Stdout).GetProperty("capabilities").GetUInt32();
                await Task.Delay(100);
            }

            Assert.Equal(3u, caps);

            // ReadOnly: node2's own mutations are discarded on node2 with a clear error.
            await MeroctlAsync(node1, "group", "members", "set-role", ns, member2, "read-only");
            deadline = DateTime.UtcNow.Add(Eventually);
            while (DateTime.UtcNow < deadline && (await MembersAsync(node2, ns))[member2] != "ReadOnly")
            {
                await Task.Delay(100);
            }

            var refused = await MeroctlAsync(node2, expectedExit: 1, "call", "set", "--context", context, "--args", "{\"key\":\"ro\",\"value\":\"x\"}");
            Assert.Contains("ReadOnly", refused.Stderr, StringComparison.Ordinal);

            // Restart: node2 reloads its membership and catches up what node1 changed while it was down.
            await node2.StopAsync();
            await MeroctlAsync(node1, "group", "members", "set-caps", ns, member2, "can-join-open-subgroups");
            await node2.StartAsync();
            var listed = Json((await MeroctlAsync(node2, "namespace", "ls", "--output-format", "json")).Stdout);
            Assert.Contains(listed.EnumerateArray(), n => n.GetProperty("namespaceId").GetString() == ns);
            deadline = DateTime.UtcNow.Add(Eventually);
            while (DateTime.UtcNow < deadline && caps != 4)
            {
                caps = Json((await MeroctlAsync(node2, "group", "members", "get-caps", ns, member2, "--output-format", "json")).Stdout).GetProperty("capabilities").GetUInt32();
                await Task.Delay(200);
            }

            Assert.Equal(4u, caps);
            Assert.Equal("ReadOnly", (await MembersAsync(node2, ns))[member2]);

            // Bad input: a namespace this node does not follow, a garbage invitation.
            var unknown = await MeroctlAsync(node2, expectedExit: 1, "namespace", "get", "11111111111111111111111111111111");
            Assert.Contains("does not follow", unknown.Stderr, StringComparison.Ordinal);
            var garbage = await MeroctlAsync(node2, expectedExit: 2, "namespace", "join", ns, "{nope");
            Assert.Contains("not valid JSON", garbage.Stderr, StringComparison.Ordinal);

            // Subgroups: node1 creates one; both nodes list it.
            var group = Json((await MeroctlAsync(node1, "namespace", "create-group", ns, "--alias", "eng", "--output-format", "json")).Stdout).GetProperty("groupId").GetString()!;
            Assert.Equal([group], await SubgroupsAsync(node1, ns));
            deadline = DateTime.UtcNow.Add(Eventually);
            while (DateTime.UtcNow < deadline && (await SubgroupsAsync(node2, ns)).Count == 0)
            {
                await Task.Delay(100);
            }

            Assert.Equal([group], await SubgroupsAsync(node2, ns));

            // node2 leaves the namespace: it stops following it, its writes are refused, node1 sees it go.
            var left = Json((await MeroctlAsync(node2, "namespace", "leave", ns, "--output-format", "json")).Stdout);
            Assert.Equal(member2, left.GetProperty("memberPublicKey").GetString());
            listed = Json((await MeroctlAsync(node2, "namespace", "ls", "--output-format", "json")).Stdout);
            Assert.DoesNotContain(listed.EnumerateArray(), n => n.GetProperty("namespaceId").GetString() == ns);
            var afterLeave = await MeroctlAsync(node2, expectedExit: 1, "call", "set", "--context", context, "--args", "{\"key\":\"gone\",\"value\":\"x\"}");
            Assert.Contains("NotMember", afterLeave.Stderr, StringComparison.Ordinal);
            deadline = DateTime.UtcNow.Add(Eventually);
            while (DateTime.UtcNow < deadline && (await MembersAsync(node1, ns)).ContainsKey(member2))
            {
                await Task.Delay(100);
            }

            Assert.False((await MembersAsync(node1, ns)).ContainsKey(member2));

            // The leaver stops following the namespace's context on the network too: its topic is
            // dropped, and a write on node1 no longer reaches it (before the leave it did within seconds).
            deadline = DateTime.UtcNow.Add(Eventually);
            while (DateTime.UtcNow < deadline && !node2.Output.Contains($"stopped following context {context}", StringComparison.Ordinal))
            {
                await Task.Delay(100);
            }

            Assert.Contains($"stopped following context {context}", node2.Output, StringComparison.Ordinal);
            await MeroctlAsync(node1, "call", "set", "--context", context, "--args", "{\"key\":\"after-leave\",\"value\":\"x\"}");
            Assert.Equal("x", await EventuallyGetAsync(node1, context, "after-leave"));
            await Task.Delay(TimeSpan.FromSeconds(5));
            Assert.Null(await GetOnceAsync(node2, context, "after-leave"));
            Assert.Equal("b", await GetOnceAsync(node2, context, "from2"));

            // Structure and metadata on node1: reparent under a second group (a cycle is refused),
            // group metadata set and read back, ownership of a group moves only to a member.
            var group2 = Json((await MeroctlAsync(node1, "namespace", "create-group", ns, "--alias", "ops", "--output-format", "json")).Stdout).GetProperty("groupId").GetString()!;
            Assert.True(Json((await MeroctlAsync(node1, "group", "reparent", group, group2, "--output-format", "json")).Stdout).GetProperty("reparented").GetBoolean());
            Assert.Equal([group], await SubgroupsAsync(node1, group2));
            Assert.False(Json((await MeroctlAsync(node1, "group", "reparent", group, group2, "--output-format", "json")).Stdout).GetProperty("reparented").GetBoolean());
            var cycle = await MeroctlAsync(node1, expectedExit: 1, "group", "reparent", group2, group);
            Assert.Contains("ReparentCycle", cycle.Stderr, StringComparison.Ordinal);
            await MeroctlAsync(node1, "group", "metadata", "set", group, "--name", "Engineering", "--set", "tier=gold", "--set", "region=eu");
            await MeroctlAsync(node1, "group", "metadata", "set", group, "--unset", "region");
            var metadata = Json((await MeroctlAsync(node1, "group", "metadata", "get", group, "--output-format", "json")).Stdout).GetProperty("data");
            Assert.Equal("Engineering", metadata.GetProperty("name").GetString());
            Assert.Equal("{\"tier\":\"gold\"}", metadata.GetProperty("data").GetRawText());
            // Bad input on the routes: clear 400/404 and nothing changed.
            var badParent = await node1.Http.SendJsonAsync(HttpMethod.Post, $"/admin-api/groups/{group}/reparent", new { newParentId = "nope" }, expectedStatus: 400);
            Assert.Contains("not a valid", badParent.GetProperty("error").GetString(), StringComparison.Ordinal);
            await node1.Http.SendJsonAsync(HttpMethod.Put, $"/admin-api/groups/{group}/metadata", new { data = new Dictionary<string, string?> { ["k"] = null } }, expectedStatus: 400);
            await node1.Http.SendJsonAsync(HttpMethod.Get, $"/admin-api/groups/{context}/metadata", expectedStatus: 404);
            await node1.Http.SendJsonAsync(HttpMethod.Get, $"/admin-api/groups/{group}/contexts/{context}/metadata", expectedStatus: 404);
            Assert.Equal("{\"tier\":\"gold\"}", (await node1.Http.SendJsonAsync(HttpMethod.Get, $"/admin-api/groups/{group}/metadata")).GetProperty("data").GetProperty("data").GetRawText());
            var notMember = await MeroctlAsync(node1, expectedExit: 1, "group", "transfer-ownership", group, member2);
            Assert.Contains("NotFound", notMember.Stderr, StringComparison.Ordinal);

            // The owner may not leave; a group delete and a namespace delete on node1 (local teardown).
            var ownerLeave = await MeroctlAsync(node1, expectedExit: 1, "namespace", "leave", ns);
            Assert.Contains("owner", ownerLeave.Stderr, StringComparison.Ordinal);
            Assert.Contains("Group deleted", (await MeroctlAsync(node1, "group", "delete", group2)).Stdout, StringComparison.Ordinal);
            Assert.Empty(await SubgroupsAsync(node1, ns));
            await MeroctlAsync(node2, expectedExit: 1, "namespace", "delete", ns);
            Assert.Contains("Namespace deleted", (await MeroctlAsync(node1, "namespace", "delete", ns)).Stdout, StringComparison.Ordinal);
            listed = Json((await MeroctlAsync(node1, "namespace", "ls", "--output-format", "json")).Stdout);
            Assert.DoesNotContain(listed.EnumerateArray(), n => n.GetProperty("namespaceId").GetString() == ns);
            var contextsAfter = Json((await MeroctlAsync(node1, "context", "ls", "--output-format", "json")).Stdout).GetProperty("contexts");
            Assert.DoesNotContain(contextsAfter.EnumerateArray(), c => c.GetProperty("id").GetString() == context);
        });
    }

    private static async Task<List<string>> SubgroupsAsync(MerodProcess node, string ns) =>
        [.. Json((await MeroctlAsync(node, "group", "subgroups", ns, "--output-format", "json")).Stdout)
            .GetProperty("subgroups").EnumerateArray().Select(g => g.GetProperty("groupId").GetString()!)];

    private static async Task<string?> EventuallyGetAsync(MerodProcess node, string context, string key)
    {
        var deadline = DateTime.UtcNow.Add(Eventually);
        string? value = null;
        while (DateTime.UtcNow < deadline)
        {
            var rpc = await node.Http.ExecuteAsync(context, "get", new { key });
            if (rpc.TryGetProperty("result", out var result) && result.TryGetProperty("output", out var output) && output.ValueKind == JsonValueKind.String)
            {
                value = output.GetString();
                break;
            }

            await Task.Delay(200);
        }

        return value;
    }

    private static async Task<string?> GetOnceAsync(MerodProcess node, string context, string key)
    {
        var rpc = await node.Http.ExecuteAsync(context, "get", new { key });
        return rpc.TryGetProperty("result", out var result) && result.TryGetProperty("output", out var output) && output.ValueKind == JsonValueKind.String ? output.GetString() : null;
    }

    private static async Task<Dictionary<string, string>> MembersAsync(MerodProcess node, string ns) =>
        Json((await MeroctlAsync(node, "group", "members", "list", ns, "--output-format", "json")).Stdout)
            .GetProperty("members").EnumerateArray()
            .ToDictionary(m => m.GetProperty("identity").GetString()!, m => m.GetProperty("role").GetString()!);

    private static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement.Clone();

    private static Task<(string Stdout, string Stderr)> MeroctlAsync(MerodProcess node, params string[] args) => MeroctlAsync(node, 0, args);

    private static async Task<(string Stdout, string Stderr)> MeroctlAsync(MerodProcess node, int expectedExit, params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var exit = await Meroctl.Cli.RunAsync(["--api", $"http://127.0.0.1:{node.Port}", .. args], stdout, stderr);
        Assert.True(exit == expectedExit, $"meroctl {string.Join(' ', args)} exited {exit} (expected {expectedExit}): {stderr}{stdout}");
        return (stdout.ToString(), stderr.ToString());
    }
}
