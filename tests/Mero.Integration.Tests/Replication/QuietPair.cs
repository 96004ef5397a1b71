using System.Text;
using Mero.Node.Replication;
using Mero.Primitives.Clock;
using Mero.State.Crdt;
using Mero.Testing;
using Xunit;

namespace Mero.Integration.Tests.Replication;

/// <summary>
/// Two in-process nodes sharing a kv-store context, with heartbeats an hour apart so that within a
/// test only gossip of ops or an explicit sync moves state; and leaves merged outside any op.
/// </summary>
internal static class QuietPair
{
    public static readonly ReplicationOptions Options = new()
    {
        HeartbeatInterval = TimeSpan.FromHours(1),
        FollowRetryInterval = TimeSpan.FromMilliseconds(100),
        RequestTimeout = TimeSpan.FromSeconds(10),
    };

    /// <summary>Starts the pair, creates the context and waits until one write reached both.</summary>
    public static async Task<(InProcessCluster Cluster, ContextId Context)> StartAsync()
    {
        var cluster = new InProcessCluster(2, replication: Options);
        await cluster.StartAsync();
        var (_, context) = await cluster.CreateKvContextAsync();
        await cluster[0].CallAsync(context, "set", """{"key":"k","value":"v"}""");
        Assert.True(await cluster.WaitConvergedAsync(context, TimeSpan.FromSeconds(30)), cluster.Describe(context));
        return (cluster, context);
    }

    /// <summary>Merges one root-level leaf into the node's state directly, as a tree sync would.</summary>
    public static async Task MergeLeafAsync(ClusterNode node, ContextId context, string key)
    {
        var now = HybridTimestamp.Pack((ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), 0);
        var record = CrdtLeaf.EncodeRecord(new HybridTimestamp(now, node.MemberKey), false, "a"u8.ToArray());
        var merged = await node.Contexts.MergeLeavesAsync(context, [new CrdtLeaf(context, [], Encoding.UTF8.GetBytes(key), record)], default);
        Assert.Equal(1, merged.Merged);
    }
}
