using Mero.Node.Replication;
using Mero.Primitives.Clock;
using Mero.State.Crdt;
using Mero.Testing;
using Xunit;

namespace Mero.Integration.Tests.Replication;

/// <summary>
/// The check that a receiver's root equals the author's once both hold the same ops: it must not
/// fire while leaves taken from a tree sync put a state ahead of its DAG, on either side.
/// </summary>
public sealed class RootCheckTests
{
    [Fact]
    public async Task Leaves_merged_ahead_of_the_dag_raise_no_root_mismatch_on_the_author_or_the_receiver()
    {
        var (cluster, context) = await QuietPair.StartAsync();
        await using var _ = cluster;

        // The author is ahead: an op it writes cannot claim a root the receiver could reach.
        await QuietPair.MergeLeafAsync(cluster[0], context, "ahead-on-0");
        await cluster[0].CallAsync(context, "set", """{"key":"k","value":"from 0"}""");
        await WaitForHeadAsync(cluster, context);

        // The receiver is ahead: the author's root says nothing about ours.
        await QuietPair.MergeLeafAsync(cluster[1], context, "ahead-on-1");
        await cluster[0].CallAsync(context, "set", """{"key":"k","value":"again from 0"}""");
        await WaitForHeadAsync(cluster, context);

        Assert.Equal("\"again from 0\"", await cluster[1].CallAsync(context, "get", """{"key":"k"}"""));
        Assert.Equal(0, cluster[0].Contexts.RootMismatches);
        Assert.Equal(0, cluster[1].Contexts.RootMismatches);
        Assert.NotEqual(cluster[0].Contexts.Get(context)!.RootHash, cluster[1].Contexts.Get(context)!.RootHash);
    }

    /// <summary>Waits until both nodes have the same single DAG head (node 0's last op).</summary>
    private static async Task WaitForHeadAsync(InProcessCluster cluster, ContextId context)
    {
        for (var waited = 0; waited < 1500; waited++)
        {
            var heads0 = cluster[0].Contexts.Heads(context);
            var heads1 = cluster[1].Contexts.Heads(context);
            if (heads0.Count == 1 && heads1.Count == 1 && heads0[0] == heads1[0])
            {
                return;
            }

            await Task.Delay(20);
        }

        Assert.Fail(cluster.Describe(context));
    }
}
