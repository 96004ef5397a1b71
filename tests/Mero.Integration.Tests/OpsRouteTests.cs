using System.Text.Json;
using Mero.Node.Configuration;
using Mero.Store;
using Xunit;

namespace Mero.Integration.Tests;

/// <summary>Operator routes on real merod processes: peers, network status, explicit sync, uninstall.</summary>
public sealed class OpsRouteTests
{
    private static readonly string UnknownId = ContextId.FromBytes(Enumerable.Repeat((byte)7, 32).ToArray()).ToString();

    [Fact]
    public async Task Uninstall_is_refused_while_a_context_uses_the_app_then_removes_record_and_bytecode_for_good()
    {
        await using var node = await MerodProcess.StartAsync();
        var app = await node.Http.InstallAppAsync(RepoPaths.App("kv-store"));
        var blob = (await node.Http.SendJsonAsync(HttpMethod.Get, $"/admin-api/applications/{app}")).GetProperty("data").GetProperty("application").GetProperty("blob").GetProperty("bytecode").GetString()!;
        var (context, _) = await node.Http.CreateContextAsync(app);

        var listed = (await node.Http.SendJsonAsync(HttpMethod.Get, $"/admin-api/contexts/for-application/{app}")).GetProperty("data").GetProperty("contexts");
        Assert.Equal([context], listed.EnumerateArray().Select(c => c.GetProperty("id").GetString()));
        Assert.Empty((await node.Http.SendJsonAsync(HttpMethod.Get, $"/admin-api/contexts/for-application/{UnknownId}")).GetProperty("data").GetProperty("contexts").EnumerateArray());
        Assert.Contains("not a valid", Error(await node.Http.SendJsonAsync(HttpMethod.Get, "/admin-api/contexts/for-application/nope", expectedStatus: 400)), StringComparison.Ordinal);

        var refused = Error(await node.Http.SendJsonAsync(HttpMethod.Delete, $"/admin-api/applications/{app}", expectedStatus: 409));
        Assert.Contains("used by 1 context", refused, StringComparison.Ordinal);
        Assert.NotNull((await node.Http.SendJsonAsync(HttpMethod.Get, $"/admin-api/applications/{app}")).GetProperty("data").GetProperty("application").GetString("id"));

        // Sync routes on a lone node: unknown → 404, bad id → 400, a context without peers → 200 "no_peers".
        Assert.Equal("Context not found", Error(await node.Http.SendJsonAsync(HttpMethod.Post, $"/admin-api/contexts/sync/{UnknownId}", expectedStatus: 404)));
        Assert.Contains("not a valid", Error(await node.Http.SendJsonAsync(HttpMethod.Post, "/admin-api/contexts/sync/xyz", expectedStatus: 400)), StringComparison.Ordinal);
        var one = (await node.Http.SendJsonAsync(HttpMethod.Post, $"/admin-api/contexts/sync/{context}")).GetProperty("data");
        Assert.Equal((1, 0, 0, 1), (one.GetProperty("contexts").GetInt32(), one.GetProperty("synced").GetInt32(), one.GetProperty("failed").GetInt32(), one.GetProperty("noPeers").GetInt32()));
        var row = Assert.Single(one.GetProperty("results").EnumerateArray());
        Assert.Equal((context, "no_peers", 0), (row.GetString("contextId"), row.GetString("status"), row.GetProperty("peersAsked").GetInt32()));
        var all = (await node.Http.SendJsonAsync(HttpMethod.Post, "/admin-api/contexts/sync")).GetProperty("data");
        Assert.Equal(1, all.GetProperty("contexts").GetInt32());
        Assert.Equal(0, (await node.Http.SendJsonAsync(HttpMethod.Get, "/admin-api/peers")).GetProperty("count").GetInt32());

        await node.Http.SendJsonAsync(HttpMethod.Delete, $"/admin-api/contexts/{context}");
        var removed = await node.Http.SendJsonAsync(HttpMethod.Delete, $"/admin-api/applications/{app}");
        Assert.Equal(app, removed.GetProperty("data").GetString("applicationId"));
        var gone = (await node.Http.SendJsonAsync(HttpMethod.Get, $"/admin-api/applications/{app}")).GetProperty("data");
        Assert.False(gone.TryGetProperty("application", out var application) && application.ValueKind != JsonValueKind.Null, gone.ToString());
        Assert.Equal("Application not found", Error(await node.Http.SendJsonAsync(HttpMethod.Delete, $"/admin-api/applications/{app}", expectedStatus: 404)));
        Assert.Contains("not a valid", Error(await node.Http.SendJsonAsync(HttpMethod.Delete, "/admin-api/applications/0OIl", expectedStatus: 400)), StringComparison.Ordinal);

        // The store holds neither the record nor the bytecode, and a restart does not bring them back.
        await node.StopAsync();
        using (var store = MeroStore.Open(Path.Combine(node.NodeHome, "data")))
        {
            Assert.Empty(store.Scan(Column.Application, []));
            Assert.True(BlobId.TryParse(blob, out var blobId));
            Assert.Null(store.Get(Column.Blob, blobId.AsSpan()));
        }

        await node.StartAsync();
        Assert.Empty((await node.Http.SendJsonAsync(HttpMethod.Get, "/admin-api/applications")).GetProperty("data").GetProperty("apps").EnumerateArray());
    }

    [Fact]
    public async Task Two_connected_nodes_see_each_other_and_an_explicit_sync_makes_a_write_visible()
    {
        await using var node1 = await MerodProcess.StartAsync("node1");
        await using var node2 = await BootstrappedAsync("node2", node1);
        var peer1 = PeerIdOf(node1);
        var peer2 = PeerIdOf(node2);

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline && (await PeersAsync(node1) != 1 || await PeersAsync(node2) != 1))
        {
            await Task.Delay(100);
        }

        Assert.Equal(1, await PeersAsync(node1));
        Assert.Equal(1, await PeersAsync(node2));
        var status = await node2.Http.SendJsonAsync(HttpMethod.Get, "/admin-api/network/status");
        Assert.Equal(peer2, status.GetString("localPeerId"));
        Assert.Contains(status.GetProperty("listenAddrs").EnumerateArray(), a => a.GetString()!.EndsWith($"/tcp/{node2.SwarmPort}", StringComparison.Ordinal));
        var other = Assert.Single(status.GetProperty("connectedPeers").EnumerateArray());
        Assert.Equal(peer1, other.GetString("peerId"));
        Assert.Contains("outbound", other.GetProperty("directions").EnumerateArray().Select(d => d.GetString()));

        // meroctl against the real node prints the same.
        var (code, peersJson, _) = await Meroctl(node2, "peers");
        Assert.Equal((0, 1), (code, JsonDocument.Parse(peersJson).RootElement.GetProperty("count").GetInt32()));
        (code, var statusJson, _) = await Meroctl(node2, "network", "status");
        Assert.Equal(0, code);
        Assert.Equal(peer1, JsonDocument.Parse(statusJson).RootElement.GetProperty("connectedPeers")[0].GetString("peerId"));

        var app = await node1.Http.InstallAppAsync(RepoPaths.App("kv-store"));
        await node2.Http.InstallAppAsync(RepoPaths.App("kv-store"));
        var created = await MerodCluster.AdminAsync(node1, HttpMethod.Post, "/admin-api/namespaces", new { applicationId = app });
        var context = created.GetProperty("contextId").GetString()!;
        await MerodCluster.JoinAsync(node2, node1, created.GetProperty("namespaceId").GetString()!, context);
        // The joiner subscribes to the context's topic right after the join, and learns who else is
        // on it by gossip: both settle within moments, so wait for them rather than race them.
        var topic = $"context/{context}";
        deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline && !(await SubscribedTopicsAsync(node2)).Contains(topic))
        {
            await Task.Delay(100);
        }

        Assert.Contains(topic, await SubscribedTopicsAsync(node2));

        await node1.Http.ExecuteAsync(context, "set", new { key = "k", value = "written-on-node1" });
        var row = await SyncAsync(node2, context);
        while (DateTime.UtcNow < deadline && row.GetString("status") == "no_peers")
        {
            await Task.Delay(100);
            row = await SyncAsync(node2, context);
        }

        Assert.Equal(("synced", 1, 1), (row.GetString("status"), row.GetProperty("peersAsked").GetInt32(), row.GetProperty("peersOk").GetInt32()));

        // No polling: once the sync answered, the write is there and the roots agree.
        var read = await node2.Http.ExecuteAsync(context, "get", new { key = "k" });
        Assert.Equal("written-on-node1", read.GetProperty("result").GetProperty("output").GetString());
        Assert.Equal(await node1.Http.StateHashAsync(context), row.GetString("rootHash"));

        // The meroctl spelling of the same request.
        (code, var synced, _) = await Meroctl(node2, "context", "sync", "--context", context);
        Assert.Equal(0, code);
        Assert.Equal("synced", JsonDocument.Parse(synced).RootElement.GetProperty("results")[0].GetString("status"));
    }

    private static async Task<(int Code, string Out, string Err)> Meroctl(MerodProcess node, params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await global::Meroctl.Cli.RunAsync(["--api", node.Http.BaseAddress!.ToString(), "--output-format", "json", .. args], stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private static string Error(JsonElement body) => body.GetProperty("error").GetString()!;

    private static async Task<List<string?>> SubscribedTopicsAsync(MerodProcess node) =>
        [.. (await node.Http.SendJsonAsync(HttpMethod.Get, "/admin-api/network/status")).GetProperty("subscribedTopics").EnumerateArray().Select(t => t.GetString())];

    private static async Task<JsonElement> SyncAsync(MerodProcess node, string context) =>
        Assert.Single((await node.Http.SendJsonAsync(HttpMethod.Post, $"/admin-api/contexts/sync/{context}")).GetProperty("data").GetProperty("results").EnumerateArray());

    private static async Task<int> PeersAsync(MerodProcess node) =>
        (await node.Http.SendJsonAsync(HttpMethod.Get, "/admin-api/peers")).GetProperty("count").GetInt32();

    private static string PeerIdOf(MerodProcess node) =>
        NodeConfigFile.Load(Path.Combine(node.NodeHome, NodeConfigFile.FileName)).Identity.PeerId;

    private static async Task<MerodProcess> BootstrappedAsync(string name, MerodProcess boot)
    {
        var node = await MerodProcess.InitAsync(name);
        var path = Path.Combine(node.NodeHome, NodeConfigFile.FileName);
        var config = NodeConfigFile.Load(path);
        config.Bootstrap.Nodes = [$"/ip4/127.0.0.1/tcp/{boot.SwarmPort}/p2p/{PeerIdOf(boot)}"];
        config.Save(path);
        await node.StartAsync();
        return node;
    }
}

internal static class JsonElementExtensions
{
    public static string? GetString(this JsonElement element, string property) => element.GetProperty(property).GetString();
}
