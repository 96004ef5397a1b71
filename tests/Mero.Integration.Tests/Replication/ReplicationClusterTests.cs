using System.Text.Json;
using Mero.Crypto;
using Mero.Node;
using Mero.Node.Replication;
using Mero.Node.Replication.Simulation;
using Mero.Node.Replication.Wire;
using Mero.Primitives.Clock;
using Xunit;

namespace Mero.Integration.Tests.Replication;

/// <summary>Context replication between full in-process nodes over a lossy simulated network.</summary>
public class ReplicationClusterTests
{
    private static readonly TimeSpan Converge = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Concurrent_writes_on_every_node_converge_to_one_root_despite_lost_gossip()
    {
        await using var cluster = new InProcessCluster(3, new SimulationOptions { Seed = 11, DropRate = 0.2, MaxDelay = TimeSpan.FromMilliseconds(5) });
        await cluster.StartAsync();
        var (_, context) = await cluster.CreateKvContextAsync();

        var writes = cluster.Running.Select(node => Task.Run(async () =>
        {
            for (var i = 0; i < 25; i++)
            {
                await node.CallAsync(context, "set", $$"""{"key":"n{{node.Index}}-{{i}}","value":"v{{i}}"}""");
            }

            // Everyone also writes one shared key: last writer wins, the same everywhere.
            await node.CallAsync(context, "set", $$"""{"key":"shared","value":"from {{node.Index}}"}""");
        })).ToList();
        await Task.WhenAll(writes);

        Assert.True(await cluster.WaitConvergedAsync(context, Converge), cluster.Describe(context));
        string? shared = null;
        foreach (var node in cluster.Running)
        {
            for (var writer = 0; writer < 3; writer++)
            {
                Assert.Equal("\"v24\"", await node.CallAsync(context, "get", $$"""{"key":"n{{writer}}-24"}"""));
                Assert.Equal("\"v0\"", await node.CallAsync(context, "get", $$"""{"key":"n{{writer}}-0"}"""));
            }

            var value = await node.CallAsync(context, "get", """{"key":"shared"}""");
            shared ??= value;
            Assert.Equal(shared, value);
            Assert.Equal(0, node.Contexts.RootMismatches);
        }

        Assert.True(cluster.Network.Dropped > 0, "the network was meant to lose messages");
    }

    [Fact]
    public async Task Nodes_over_real_libp2p_converge_after_concurrent_writes()
    {
        await using var cluster = new InProcessCluster(3, transport: ClusterTransport.Libp2p);
        await cluster.StartAsync();
        var (_, context) = await cluster.CreateKvContextAsync();
        await Task.WhenAll(cluster.Running.Select(node => Task.Run(async () =>
        {
            for (var i = 0; i < 20; i++)
            {
                await node.CallAsync(context, "set", $$"""{"key":"n{{node.Index}}-{{i}}","value":"v{{i}}"}""");
            }
        })));

        Assert.True(await cluster.WaitConvergedAsync(context, Converge), cluster.Describe(context));
        foreach (var node in cluster.Running)
        {
            Assert.Equal("\"v19\"", await node.CallAsync(context, "get", """{"key":"n2-19"}"""));
            Assert.Equal("\"v19\"", await node.CallAsync(context, "get", """{"key":"n0-19"}"""));
        }
    }

    [Fact]
    public async Task A_node_that_joins_after_many_writes_gets_a_snapshot_then_follows_new_ops()
    {
        await using var cluster = new InProcessCluster(2);
        await cluster.StartAsync();
        var (app, context) = await cluster.CreateKvContextAsync(joiners: []);
        for (var i = 0; i < 300; i++)
        {
            await cluster[0].CallAsync(context, "set", $$"""{"key":"k{{i}}","value":"{{i}}"}""");
        }

        await cluster.JoinAsync(1, app, context);
        Assert.True(await cluster.WaitConvergedAsync(context, Converge), cluster.Describe(context));
        // A snapshot brings the heads as checkpoints, not the 300 ops themselves.
        Assert.Null(cluster[1].Contexts.GetOp(context, cluster[0].Contexts.Heads(context)[0]));
        Assert.Equal("\"299\"", await cluster[1].CallAsync(context, "get", """{"key":"k299"}"""));

        await cluster[1].CallAsync(context, "set", """{"key":"after","value":"joined"}""");
        await cluster[0].CallAsync(context, "set", """{"key":"k0","value":"changed"}""");
        Assert.True(await cluster.WaitConvergedAsync(context, Converge), cluster.Describe(context));
        Assert.Equal("\"joined\"", await cluster[0].CallAsync(context, "get", """{"key":"after"}"""));
        Assert.Equal("\"changed\"", await cluster[1].CallAsync(context, "get", """{"key":"k0"}"""));
    }

    [Fact]
    public async Task Catching_up_a_long_absence_takes_a_few_requests_not_one_per_dag_level()
    {
        await using var cluster = new InProcessCluster(3);
        await cluster.StartAsync();
        var (_, context) = await cluster.CreateKvContextAsync();
        await cluster[2].CallAsync(context, "set", """{"key":"before","value":"1"}""");
        Assert.True(await cluster.WaitConvergedAsync(context, Converge), cluster.Describe(context));

        // Two writers interleave 300 ops: the DAG node 2 misses is about 150 levels deep.
        await cluster.StopNodeAsync(2);
        await Task.WhenAll(Enumerable.Range(0, 2).Select(writer => Task.Run(async () =>
        {
            for (var i = 0; i < 150; i++)
            {
                await cluster[writer].CallAsync(context, "set", $$"""{"key":"w{{writer}}-{{i}}","value":"{{i}}"}""");
            }
        })));

        await cluster.StartNodeAsync(2);
        Assert.True(await cluster.WaitConvergedAsync(context, Converge), cluster.Describe(context));
        var replication = cluster[2].Replication;
        Assert.True(replication.FetchedBySync >= 250, $"fetched {replication.FetchedBySync} (snapshot: {replication.LastSnapshot}): {cluster.Describe(context)}");
        Assert.True(replication.CatchUpRequests <= 12, $"{replication.CatchUpRequests} requests for {replication.FetchedBySync} ops: {cluster.Describe(context)}");
        Assert.Equal("\"149\"", await cluster[2].CallAsync(context, "get", """{"key":"w1-149"}"""));
        Assert.Equal("\"0\"", await cluster[2].CallAsync(context, "get", """{"key":"w0-0"}"""));
    }

    [Fact]
    public async Task A_node_stopped_during_writes_catches_up_after_restart()
    {
        await using var cluster = new InProcessCluster(3);
        await cluster.StartAsync();
        var (_, context) = await cluster.CreateKvContextAsync();
        await cluster[2].CallAsync(context, "set", """{"key":"before","value":"1"}""");
        Assert.True(await cluster.WaitConvergedAsync(context, Converge), cluster.Describe(context));

        await cluster.StopNodeAsync(2);
        for (var i = 0; i < 40; i++)
        {
            await cluster[i % 2].CallAsync(context, "set", $$"""{"key":"missed-{{i}}","value":"{{i}}"}""");
        }

        await cluster.StartNodeAsync(2);
        Assert.True(await cluster.WaitConvergedAsync(context, Converge), cluster.Describe(context));
        Assert.Equal("\"39\"", await cluster[2].CallAsync(context, "get", """{"key":"missed-39"}"""));
        Assert.Equal("\"1\"", await cluster[2].CallAsync(context, "get", """{"key":"before"}"""));
    }

    [Fact]
    public async Task A_read_only_member_cannot_change_state_locally_and_its_forged_ops_are_rejected_everywhere()
    {
        await using var cluster = new InProcessCluster(3);
        await cluster.StartAsync();
        var (app, context) = await cluster.CreateKvContextAsync(joiners: [1]);
        await cluster.JoinAsync(2, app, context, WriteVerdict.ReadOnly);
        await cluster[0].CallAsync(context, "set", """{"key":"k","value":"v"}""");
        Assert.True(await cluster.WaitConvergedAsync(context, Converge), cluster.Describe(context));
        var root = cluster[0].Contexts.Get(context)!.RootHash;

        // Locally: the call runs, its changes are discarded with a clear error, nothing is stored.
        var error = await Assert.ThrowsAsync<NodeException>(() => cluster[2].CallAsync(context, "set", """{"key":"k","value":"mine"}"""));
        Assert.Equal(NodeErrorKind.Unauthorized, error.Kind);
        Assert.Contains("ReadOnly", error.Message, StringComparison.Ordinal);
        Assert.Equal(root, cluster[2].Contexts.Get(context)!.RootHash);

        // Remotely: a correctly signed, correctly sealed op from the ReadOnly member, one from a
        // removed member, one from a stranger and one with a forged signature are all dropped.
        var before = cluster.Running.Select(n => n.Replication.Rejected).ToList();
        var heads = cluster[0].Contexts.Heads(context);
        var key = (await cluster.Authority.CurrentKeyAsync(context, default))!;
        cluster.Authority.Admit(cluster[1].MemberKey);
        var removed = cluster[1].MemberSeed;
        cluster.Authority.Remove(cluster[1].MemberKey);
        var forgedSigner = Hashing.Sha256("stranger"u8).ToArray();
        var attempts = new[]
        {
            Craft(context, heads, cluster[2].MemberSeed, key, forge: false),
            Craft(context, heads, removed, key, forge: false),
            Craft(context, heads, forgedSigner, key, forge: false),
            Craft(context, heads, cluster[0].MemberSeed, key, forge: true),
        };
        var attacker = cluster.Network.AddPeer("attacker");
        await attacker.SubscribeAsync(ReplicationService.TopicOf(context), default);
        foreach (var attempt in attempts)
        {
            await attacker.PublishAsync(ReplicationService.TopicOf(context), attempt.Encode(), default);
        }

        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline && cluster.Running.Select((n, i) => n.Replication.Rejected - before[i]).Any(d => d < attempts.Length))
        {
            await Task.Delay(20);
        }

        foreach (var (node, i) in cluster.Running.Select((n, i) => (n, i)))
        {
            Assert.Equal(attempts.Length, node.Replication.Rejected - before[i]);
            Assert.Equal(root, node.Contexts.Get(context)!.RootHash);
            var extra = node.Contexts.Heads(context).Except(heads).Select(h => node.Contexts.GetOp(context, h)).Select(o => $"node{i}: {o?.Author} parents {string.Join(",", o?.Parents ?? [])} events {o?.Events.Count}");
            Assert.True(extra.ToList() is [], string.Join("\n", extra) + $" members: 0={cluster[0].MemberKey} 1={cluster[1].MemberKey} 2={cluster[2].MemberKey}");
            Assert.Equal(heads, node.Contexts.Heads(context));
            Assert.Equal("\"v\"", await node.CallAsync(context, "get", """{"key":"k"}"""));
        }
    }

    [Fact]
    public async Task Receivers_run_event_handlers_and_the_author_does_not()
    {
        await using var cluster = new InProcessCluster(3);
        await cluster.StartAsync();
        var (_, context) = await cluster.CreateContextAsync("chat");
        await cluster[0].CallAsync(context, "create_channel", """{"name":"general"}""");

        // Joiners first catch up (by snapshot, which replays no events); the send then arrives as an op.
        Assert.True(await cluster.WaitConvergedAsync(context, Converge), cluster.Describe(context));
        await cluster[0].CallAsync(context, "send", """{"channel":"general","text":"hi all"}""");
        Assert.True(await cluster.WaitConvergedAsync(context, Converge), cluster.Describe(context));

        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline && (await cluster[2].CallAsync(context, "handled_count", "{}") != "1" || await cluster[1].CallAsync(context, "handled_count", "{}") != "1"))
        {
            await Task.Delay(20);
        }

        Assert.Equal("1", await cluster[1].CallAsync(context, "handled_count", "{}"));
        Assert.Equal("1", await cluster[2].CallAsync(context, "handled_count", "{}"));
        Assert.Equal("0", await cluster[0].CallAsync(context, "handled_count", "{}"));
        Assert.Contains("hi all", await cluster[2].CallAsync(context, "messages", """{"channel":"general"}"""), StringComparison.Ordinal);
    }

    /// <summary>A well-formed op writing k = "evil", signed by <paramref name="seed"/> (or with a forged signature).</summary>
    private static StateDelta Craft(ContextId context, IReadOnlyList<Hash> parents, byte[] seed, ContextKey key, bool forge)
    {
        using var author = Ed25519KeyPair.FromSeed(seed);
        var artifact = new Mero.State.Crdt.CrdtDelta(author.PublicKey, [], []).Encode();
        var hlc = new HybridTimestamp(HybridTimestamp.Pack((ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), 0), author.PublicKey);
        var id = DeltaIdentity.ComputeId(context, parents, hlc, author.PublicKey, artifact);
        var signature = forge ? new byte[64] : DeltaIdentity.Sign(author, context, id, []);
        var op = new ContextOp(context, id, parents, hlc, author.PublicKey, artifact, default, [new OpEvent("evil", JsonSerializer.SerializeToUtf8Bytes("x"), null)], [], signature);
        return DeltaSealing.Seal(op, key);
    }
}
