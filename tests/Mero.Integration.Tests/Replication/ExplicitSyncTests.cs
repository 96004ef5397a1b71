using Mero.Node.Contexts;
using Mero.Node.Replication;
using Mero.Primitives;
using Mero.Primitives.Clock;
using Mero.State.Crdt;
using Xunit;

namespace Mero.Integration.Tests.Replication;

/// <summary><see cref="ReplicationService.SyncNowAsync"/>: the round behind <c>POST /admin-api/contexts/sync</c>.</summary>
public class ExplicitSyncTests
{
    [Fact]
    public async Task An_explicit_round_brings_state_that_neither_gossip_nor_heartbeats_would_and_reports_what_it_did()
    {
        var (cluster, context) = await QuietPair.StartAsync();
        await using var _ = cluster;

        // A leaf merged outside any op: no gossip carries it, so node 1 lacks it until it syncs.
        // Node 1's join-time sync may still be retrying and pick up the first leaves; it stops after
        // one success, so merge new leaves until one stays on node 0 alone.
        var key = "";
        for (var round = 0; round < 20; round++)
        {
            key = $"only-{round}";
            await QuietPair.MergeLeafAsync(cluster[0], context, key);
            await Task.Delay(300);
            if (cluster[0].Contexts.Get(context)!.RootHash != cluster[1].Contexts.Get(context)!.RootHash)
            {
                break;
            }
        }

        Assert.NotEqual(cluster[0].Contexts.Get(context)!.RootHash, cluster[1].Contexts.Get(context)!.RootHash);
        Assert.Empty((await ReadAsync(cluster[1], context, key))!.Leaves);

        var result = Assert.Single(await cluster[1].Replication.SyncNowAsync([context], default));

        Assert.Equal(new ExplicitSyncResult(context, ExplicitSyncStatus.Synced, 1, 1), result);
        Assert.Equal(cluster[0].Contexts.Get(context)!.RootHash, cluster[1].Contexts.Get(context)!.RootHash);
        var read = await ReadAsync(cluster[1], context, key);
        Assert.Equal(["a"], read!.Leaves.Select(l => System.Text.Encoding.UTF8.GetString(l.Record.AsSpan(CrdtLeaf.RecordHeaderBytes))));

        // A context nobody else follows: reported as no peers, nothing asked.
        var (_, alone) = await cluster.CreateKvContextAsync(joiners: []);
        Assert.Equal(
            [new ExplicitSyncResult(alone, ExplicitSyncStatus.NoPeers, 0, 0), new ExplicitSyncResult(context, ExplicitSyncStatus.Synced, 1, 1)],
            await cluster[0].Replication.SyncNowAsync([alone, context], default));
    }

    private static Task<TreeNodeRead?> ReadAsync(ClusterNode node, ContextId context, string key) =>
        node.Contexts.ReadTreeNodesAsync(context, default, 0, [System.Text.Encoding.UTF8.GetBytes(key)], default);
}
