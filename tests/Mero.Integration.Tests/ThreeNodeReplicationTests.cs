using System.Text.Json;
using Mero.Node.Configuration;
using Xunit;

namespace Mero.Integration.Tests;

/// <summary>
/// Three real merod processes on 127.0.0.1 (node2 and node3 bootstrap to node1): a namespace
/// context written concurrently on two nodes (10,000 writes over JSON-RPC), then a third node that
/// joins after the writes and must catch up by snapshot to the same root, heads and values.
/// </summary>
public sealed class ThreeNodeReplicationTests
{
    private const int WritesPerNode = 5_000;

    [Fact]
    public async Task Concurrent_writes_on_two_nodes_converge_and_a_late_joiner_catches_up()
    {
        await using var node1 = await MerodProcess.StartAsync("node1");
        await using var node2 = await BootstrappedAsync("node2", node1);
        await using var node3 = await BootstrappedAsync("node3", node1);
        var nodes = new[] { node1, node2, node3 };
        string app = "";
        foreach (var node in nodes)
        {
            app = await node.Http.InstallAppAsync(RepoPaths.App("kv-store"));
        }

        var created = await MerodCluster.AdminAsync(node1, HttpMethod.Post, "/admin-api/namespaces", new { applicationId = app });
        var ns = created.GetProperty("namespaceId").GetString()!;
        var context = created.GetProperty("contextId").GetString()!;
        await MerodCluster.JoinAsync(node2, node1, ns, context);

        await Task.WhenAll(new[] { node1, node2 }.Select((node, n) => Task.Run(async () =>
        {
            for (var i = 0; i < WritesPerNode; i++)
            {
                var rpc = await node.Http.ExecuteAsync(context, "set", new { key = $"n{n}-{i}", value = $"v{i}" });
                Assert.True(rpc.TryGetProperty("result", out _), rpc.ToString());
            }
        })));

        await MerodCluster.JoinAsync(node3, node1, ns, context);
        var converged = await MerodCluster.ConvergedAsync(nodes, context, TimeSpan.FromSeconds(60));
        Assert.True(converged.Ok, converged.Views);
        foreach (var node in nodes)
        {
            Assert.Equal($"v{WritesPerNode - 1}", await GetAsync(node, context, $"n0-{WritesPerNode - 1}"));
            Assert.Equal($"v{WritesPerNode - 1}", await GetAsync(node, context, $"n1-{WritesPerNode - 1}"));
            Assert.Equal("v0", await GetAsync(node, context, "n1-0"));
        }

        Assert.Contains("snapshot of", node3.Output, StringComparison.Ordinal);
    }

    private static async Task<MerodProcess> BootstrappedAsync(string name, MerodProcess boot)
    {
        var peer = NodeConfigFile.Load(Path.Combine(boot.NodeHome, NodeConfigFile.FileName)).Identity.PeerId;
        var node = await MerodProcess.StartAsync(name);
        await node.StopAsync();
        var path = Path.Combine(node.NodeHome, NodeConfigFile.FileName);
        var config = NodeConfigFile.Load(path);
        config.Bootstrap.Nodes = [$"/ip4/127.0.0.1/tcp/{boot.SwarmPort}/p2p/{peer}"];
        config.Sync.IntervalMs = 500;
        config.Sync.HeartbeatIntervalMs = 1000;
        config.Save(path);
        await node.StartAsync();
        return node;
    }

    private static async Task<string?> GetAsync(MerodProcess node, string context, string key)
    {
        var rpc = await node.Http.ExecuteAsync(context, "get", new { key });
        return rpc.GetProperty("result").GetProperty("output").GetString();
    }
}
