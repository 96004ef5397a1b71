using Mero.Node.Replication;
using Mero.Node.Replication.Wire;
using Mero.Primitives;
using Mero.Primitives.Clock;
using Mero.State.Crdt;
using Xunit;

namespace Mero.Integration.Tests.Replication;

/// <summary>Hash-tree comparison between full in-process nodes.</summary>
public class TreeSyncClusterTests
{
    private static readonly TimeSpan Converge = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_node_that_missed_ops_converges_by_tree_comparison_with_a_peer_that_holds_them_only_as_checkpoints()
    {
        await using var cluster = new InProcessCluster(3);
        await cluster.StartAsync();
        var (app, context) = await cluster.CreateKvContextAsync(joiners: [2]);
        await cluster[0].CallAsync(context, "set", """{"key":"before","value":"1"}""");
        Assert.True(await WaitAsync(() => Same(cluster[0], cluster[2], context)), cluster.Describe(context));

        // Node 2 misses 30 ops; node 1 joins afterwards and gets them as a snapshot (checkpoints only).
        await cluster.StopNodeAsync(2);
        for (var i = 0; i < 30; i++)
        {
            await cluster[0].CallAsync(context, "set", $$"""{"key":"missed-{{i}}","value":"{{i}}"}""");
        }

        await cluster.JoinAsync(1, app, context);
        Assert.True(await WaitAsync(() => Same(cluster[0], cluster[1], context)), cluster.Describe(context));
        var heads = cluster[1].Contexts.Heads(context);
        Assert.All(heads, h => Assert.Null(cluster[1].Contexts.GetOp(context, h)));

        // Node 0 leaves; node 2 comes back and can only ask node 1, which cannot send the ops.
        await cluster.StopNodeAsync(0);
        await cluster.StartNodeAsync(2);
        Assert.True(await cluster.WaitConvergedAsync(context, Converge), cluster.Describe(context));

        var node2 = cluster[2];
        Assert.Equal(cluster[1].Contexts.Get(context)!.RootHash, node2.Contexts.Get(context)!.RootHash);
        Assert.Equal(heads, node2.Contexts.Heads(context));
        Assert.All(heads, h => Assert.True(node2.Contexts.Knows(context, h)));
        Assert.True(node2.Replication.TreeSyncs >= 1);
        // The counter follows the commit that made the heads equal: it may trail what the wait saw.
        Assert.True(await WaitAsync(() => node2.Replication.TreeSyncsConverged >= 1));
        Assert.True(node2.Replication.TreeLeavesPulled >= 30, $"pulled {node2.Replication.TreeLeavesPulled}");
        Assert.Equal(0, node2.Replication.TreeLeavesRefused);
        Assert.Equal("\"29\"", await node2.CallAsync(context, "get", """{"key":"missed-29"}"""));
        Assert.Equal("\"0\"", await node2.CallAsync(context, "get", """{"key":"missed-0"}"""));
        Assert.Equal("\"1\"", await node2.CallAsync(context, "get", """{"key":"before"}"""));

        // The DAG goes on from the recorded heads: a new op from node 2 applies on node 1.
        await node2.CallAsync(context, "set", """{"key":"after","value":"tree"}""");
        Assert.True(await cluster.WaitConvergedAsync(context, Converge), cluster.Describe(context));
        Assert.Equal("\"tree\"", await cluster[1].CallAsync(context, "get", """{"key":"after"}"""));
        Assert.Equal(0, cluster[1].Contexts.RootMismatches);
    }

    [Fact]
    public async Task Diverged_states_with_the_same_heads_are_reconciled_by_tree_comparison_and_strangers_leaves_are_dropped()
    {
        await using var cluster = new InProcessCluster(2, replication: new ReplicationOptions { HeartbeatInterval = TimeSpan.FromMilliseconds(200) });
        await cluster.StartAsync();
        var (_, context) = await cluster.CreateKvContextAsync();
        await cluster[0].CallAsync(context, "set", """{"key":"k","value":"v"}""");
        Assert.True(await cluster.WaitConvergedAsync(context, Converge), cluster.Describe(context));
        var heads = cluster[0].Contexts.Heads(context);

        // Each side gets a leaf the other lacks, and both a concurrent write of one key, outside
        // any op: same heads, different roots.
        var now = HybridTimestamp.Pack((ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), 0);
        CrdtLeaf Leaf(string key, string value, PublicKey author, ulong time) =>
            new(context, [], System.Text.Encoding.UTF8.GetBytes(key), CrdtLeaf.EncodeRecord(new HybridTimestamp(time, author), false, System.Text.Encoding.UTF8.GetBytes(value)));
        await cluster[0].Contexts.MergeLeavesAsync(context, [Leaf("only-0", "a", cluster[0].MemberKey, now), Leaf("both", "older", cluster[0].MemberKey, now)], default);
        await cluster[1].Contexts.MergeLeavesAsync(context, [Leaf("only-1", "b", cluster[1].MemberKey, now), Leaf("both", "newer", cluster[1].MemberKey, now + 1)], default);
        Assert.NotEqual(cluster[0].Contexts.Get(context)!.RootHash, cluster[1].Contexts.Get(context)!.RootHash);

        // Heartbeats carry the roots: whoever notices first compares trees.
        Assert.True(await WaitAsync(() => Same(cluster[0], cluster[1], context)), cluster.Describe(context));
        Assert.Equal(heads, cluster[0].Contexts.Heads(context));
        Assert.Equal(heads, cluster[1].Contexts.Heads(context));
        // Both sides may compare at once, each seeing the other mid-merge: the comparisons ran,
        // but not necessarily one that saw equal roots at its end.
        Assert.True(cluster.Running.Sum(n => n.Replication.TreeSyncs) >= 1);
        // A push is counted once the peer acknowledged it, so the count may trail the peer's state.
        Assert.True(await WaitAsync(() => cluster.Running.Sum(n => n.Replication.TreeLeavesPulled + n.Replication.TreeLeavesPushed) >= 2));
        foreach (var node in cluster.Running)
        {
            var read = await node.Contexts.ReadTreeNodesAsync(context, default, 0, ["only-0"u8.ToArray(), "only-1"u8.ToArray(), "both"u8.ToArray()], default);
            Assert.Equal(["a", "b", "newer"], read!.Leaves.Select(l => System.Text.Encoding.UTF8.GetString(l.Record.AsSpan(CrdtLeaf.RecordHeaderBytes))));
        }

        // A pushed leaf written by a non-member is dropped by the gate; a member's goes in.
        var root = cluster[0].Contexts.Get(context)!.RootHash;
        var refusedBefore = cluster[0].Replication.TreeLeavesRefused;
        var stranger = PublicKey.FromBytes(Enumerable.Repeat((byte)0xEE, 32).ToArray());
        var attacker = cluster.Network.AddPeer("attacker");
        var key = (await cluster.Authority.CurrentKeyAsync(context, default))!;
        var push = new EntityPush(context, cluster[1].MemberKey, TreeLeafSealing.Seal(context, TreeLeafUse.Push, [TreeLeafData.From(Leaf("evil", "x", stranger, now + 2)), TreeLeafData.From(Leaf("good", "y", cluster[1].MemberKey, now + 2))], key));
        var answer = SyncResponse.Decode(await attacker.RequestAsync(cluster[0].Peer, SyncProtocol.Id, push.Encode(), default));
        Assert.Equal(new EntityPushAck(1, 1), answer);
        Assert.Equal(refusedBefore + 1, cluster[0].Replication.TreeLeavesRefused);
        Assert.NotEqual(root, cluster[0].Contexts.Get(context)!.RootHash);
        var after = await cluster[0].Contexts.ReadTreeNodesAsync(context, default, 0, ["evil"u8.ToArray(), "good"u8.ToArray()], default);
        Assert.Equal(["good"], after!.Leaves.Select(l => System.Text.Encoding.UTF8.GetString(l.ItemKey!)));

        // A non-member party is refused before anything is read or merged.
        var outsider = new EntityPush(context, stranger, TreeLeafSealing.Seal(context, TreeLeafUse.Push, [TreeLeafData.From(Leaf("evil2", "x", cluster[1].MemberKey, now + 3))], key));
        Assert.IsType<SyncRefused>(SyncResponse.Decode(await attacker.RequestAsync(cluster[0].Peer, SyncProtocol.Id, outsider.Encode(), default)));
        var probe = new TreeNodeRequest(context, stranger, default, 16, []);
        Assert.IsType<SyncRefused>(SyncResponse.Decode(await attacker.RequestAsync(cluster[0].Peer, SyncProtocol.Id, probe.Encode(), default)));

        // The member's pushed leaf reaches node 1 by the next comparison.
        Assert.True(await WaitAsync(() => Same(cluster[0], cluster[1], context)), cluster.Describe(context));
    }

    [Fact]
    public async Task Leaves_travel_sealed_and_a_blob_that_does_not_open_is_refused_with_nothing_merged()
    {
        await using var cluster = new InProcessCluster(2, replication: new ReplicationOptions { HeartbeatInterval = TimeSpan.FromMilliseconds(200) });
        await cluster.StartAsync();
        var (_, context) = await cluster.CreateKvContextAsync();
        await cluster[0].CallAsync(context, "set", """{"key":"k","value":"confidential-value"}""");
        Assert.True(await cluster.WaitConvergedAsync(context, Converge), cluster.Describe(context));
        var key = (await cluster.Authority.CurrentKeyAsync(context, default))!;
        var member = cluster[1].MemberKey;
        var attacker = cluster.Network.AddPeer("attacker");

        // A peer claiming a member's party id gets the leaves only sealed: no value in clear.
        // Down to the first collection with entries (the app may nest its map).
        var nodeId = default(Hash);
        List<byte[]> keys;
        while (true)
        {
            var node = (TreeNodeResponse)SyncResponse.Decode(await attacker.RequestAsync(cluster[0].Peer, SyncProtocol.Id, new TreeNodeRequest(context, member, nodeId, null, []).Encode(), default));
            Assert.Null(node.SealedLeaves);
            keys = [.. node.Nodes[0].Children.Where(c => !c.IsCollection).Select(c => c.Key)];
            if (keys.Count > 0)
            {
                break;
            }

            nodeId = Hash.FromBytes(node.Nodes[0].Children.First(c => c.IsCollection).Key);
        }

        var answerBytes = await attacker.RequestAsync(cluster[0].Peer, SyncProtocol.Id, new TreeNodeRequest(context, member, nodeId, null, keys).Encode(), default);
        Assert.Equal(-1, answerBytes.AsSpan().IndexOf("confidential-value"u8));
        var answer = (TreeNodeResponse)SyncResponse.Decode(answerBytes);
        var sealedLeaves = Assert.IsType<byte[]>(answer.SealedLeaves);
        Assert.Equal(key.KeyId, TreeLeafSealing.KeyIdOf(sealedLeaves));
        var opened = TreeLeafSealing.Open(context, TreeLeafUse.Answer, sealedLeaves, key, WireLimits.MaxTreeLeafKeys);
        Assert.Contains(opened, l => l.Record is { } r && r.AsSpan().IndexOf("confidential-value"u8) >= 0);

        // Pushes that do not open under a key node 0 holds for this context: each refused whole.
        var now = HybridTimestamp.Pack((ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), 0);
        TreeLeafData[] leaves = [TreeLeafData.From(new CrdtLeaf(context, [], "injected"u8.ToArray(), CrdtLeaf.EncodeRecord(new HybridTimestamp(now, member), false, "x"u8.ToArray())))];
        var unknownKey = new ContextKey(Hash.FromBytes(Enumerable.Repeat((byte)0xAB, 32).ToArray()), Enumerable.Repeat((byte)0xCD, 32).ToArray());
        var tampered = TreeLeafSealing.Seal(context, TreeLeafUse.Push, leaves, key);
        tampered[^1] ^= 1;
        var otherContext = ContextId.FromBytes(Enumerable.Repeat((byte)0x77, 32).ToArray());
        var oldPlaintext = new BorshWriter();
        oldPlaintext.WriteU8(9).WriteId(context).WriteId(member).WriteU32(1).WriteU32(0).WriteU8(1).WriteBytes("injected"u8).WriteU8(1).WriteBytes(leaves[0].Record!).WriteU8(0);
        byte[][] hostile =
        [
            new EntityPush(context, member, TreeLeafSealing.Seal(context, TreeLeafUse.Push, leaves, unknownKey)).Encode(),
            new EntityPush(context, member, tampered).Encode(),
            new EntityPush(context, member, TreeLeafSealing.Seal(otherContext, TreeLeafUse.Push, leaves, key)).Encode(),
            new EntityPush(context, member, TreeLeafSealing.Seal(context, TreeLeafUse.Answer, leaves, key)).Encode(),
        ];
        var root = cluster[0].Contexts.Get(context)!.RootHash;
        var refusedBefore = cluster[0].Replication.TreeLeafBlobsRefused;
        foreach (var bytes in hostile)
        {
            var reply = await attacker.RequestAsync(cluster[0].Peer, SyncProtocol.Id, bytes, default);
            Assert.IsType<SyncRefused>(SyncResponse.Decode(reply));
        }

        Assert.Equal(refusedBefore + hostile.Length, cluster[0].Replication.TreeLeafBlobsRefused);

        // The old plaintext form does not even parse as a push any more.
        var old = SyncResponse.Decode(await attacker.RequestAsync(cluster[0].Peer, SyncProtocol.Id, oldPlaintext.WrittenSpan.ToArray(), default));
        Assert.Contains("malformed request", Assert.IsType<SyncRefused>(old).Reason, StringComparison.Ordinal);
        Assert.Equal(root, cluster[0].Contexts.Get(context)!.RootHash);
        var read = await cluster[0].Contexts.ReadTreeNodesAsync(context, default, 0, ["injected"u8.ToArray()], default);
        Assert.Empty(read!.Leaves);

        // The same leaves, sealed properly, go in.
        var good = new EntityPush(context, member, TreeLeafSealing.Seal(context, TreeLeafUse.Push, leaves, key));
        Assert.Equal(new EntityPushAck(1, 0), SyncResponse.Decode(await attacker.RequestAsync(cluster[0].Peer, SyncProtocol.Id, good.Encode(), default)));
        Assert.NotEqual(root, cluster[0].Contexts.Get(context)!.RootHash);

        // After a key rotation the nodes still converge by tree comparison (sealed under the new key).
        cluster.Authority.Rotate();
        var now2 = HybridTimestamp.Pack((ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), 0);
        await cluster[1].Contexts.MergeLeavesAsync(context, [new CrdtLeaf(context, [], "only-1"u8.ToArray(), CrdtLeaf.EncodeRecord(new HybridTimestamp(now2, member), false, "b"u8.ToArray()))], default);
        Assert.True(await WaitAsync(() => Same(cluster[0], cluster[1], context)), cluster.Describe(context));
        foreach (var peer in cluster.Running)
        {
            var both = await peer.Contexts.ReadTreeNodesAsync(context, default, 0, ["injected"u8.ToArray(), "only-1"u8.ToArray()], default);
            Assert.Equal(2, both!.Leaves.Count);
        }
    }

    [Fact]
    public async Task Pulled_leaves_under_a_key_this_node_lacks_recover_the_key_from_the_peer_and_merge()
    {
        await using var cluster = new InProcessCluster(2);
        await cluster.StartAsync();
        var (_, context) = await cluster.CreateKvContextAsync();
        await cluster[0].CallAsync(context, "set", """{"key":"k","value":"v"}""");
        Assert.True(await cluster.WaitConvergedAsync(context, Converge), cluster.Describe(context));

        // A rotation node 1 missed, then a leaf only node 0 has (same heads, other roots).
        cluster.Authority.Rotate();
        cluster.Authority.Withhold(cluster[1].MemberKey, cluster.Authority.Current.KeyId);
        var now = HybridTimestamp.Pack((ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), 0);
        await cluster[0].Contexts.MergeLeavesAsync(context, [new CrdtLeaf(context, [], "rotated"u8.ToArray(), CrdtLeaf.EncodeRecord(new HybridTimestamp(now, cluster[0].MemberKey), false, "r"u8.ToArray()))], default);

        // Node 0 seals its answer under the new key; node 1 asks node 0 for it, then opens and merges.
        await cluster[1].Replication.SyncAsync(context, cluster[0].Peer, default);
        Assert.True(await WaitAsync(() => Same(cluster[0], cluster[1], context)), cluster.Describe(context));
        Assert.Equal(1, cluster[1].Replication.KeysRecovered);
        var read = await cluster[1].Contexts.ReadTreeNodesAsync(context, default, 0, ["rotated"u8.ToArray()], default);
        Assert.Single(read!.Leaves);
    }

    [Theory]
    [InlineData("tampered", "do not open")]
    [InlineData("unknown key", "which this node does not hold")]
    [InlineData("other context", "do not open")]
    [InlineData("push blob", "do not open")]
    [InlineData("sealed", null)]
    public async Task Pulled_leaves_that_do_not_open_fail_the_comparison_before_anything_is_merged(string variant, string? reason)
    {
        await using var cluster = new InProcessCluster(1);
        await cluster.StartAsync();
        var (_, context) = await cluster.CreateKvContextAsync();
        await cluster[0].CallAsync(context, "set", """{"key":"k","value":"v"}""");
        var node = cluster[0];
        var key = (await cluster.Authority.CurrentKeyAsync(context, default))!;
        var heads = node.Contexts.Heads(context);
        var root = node.Contexts.Get(context)!.RootHash;
        var ourRoot = (await node.Contexts.ReadTreeNodesAsync(context, default, 0, [], default))!.Nodes[0];

        // A peer with our heads but another root, whose root lists one entry we lack.
        var now = HybridTimestamp.Pack((ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), 0);
        TreeLeafData[] planted = [TreeLeafData.From(new CrdtLeaf(context, [], "planted"u8.ToArray(), CrdtLeaf.EncodeRecord(new HybridTimestamp(now, node.MemberKey), false, "p"u8.ToArray())))];
        var blob = variant switch
        {
            "unknown key" => TreeLeafSealing.Seal(context, TreeLeafUse.Answer, planted, new ContextKey(Hash.FromBytes(Enumerable.Repeat((byte)0xAB, 32).ToArray()), new byte[32])),
            "other context" => TreeLeafSealing.Seal(ContextId.FromBytes(Enumerable.Repeat((byte)0x77, 32).ToArray()), TreeLeafUse.Answer, planted, key),
            "push blob" => TreeLeafSealing.Seal(context, TreeLeafUse.Push, planted, key),
            _ => TreeLeafSealing.Seal(context, TreeLeafUse.Answer, planted, key),
        };
        if (variant == "tampered")
        {
            blob[^5] ^= 1;
        }

        var peerRoot = Hash.FromBytes(Enumerable.Repeat((byte)0x5A, 32).ToArray());
        var peer = cluster.Network.AddPeer("hostile");
        peer.SetRequestHandler(SyncProtocol.Id, (_, bytes, _) =>
        {
            SyncResponse answer = SyncRequest.Decode(bytes.Span) switch
            {
                DagHeadsRequest => new DagHeadsResponse(heads, peerRoot),
                TreeNodeRequest { LeafKeys.Count: > 0 } => new TreeNodeResponse([ourRoot], blob, false),
                TreeNodeRequest request when request.NodeId == default =>
                    new TreeNodeResponse([ourRoot with { Hash = peerRoot, Children = [.. ourRoot.Children, new CrdtTreeChild(false, CrdtKind.Map, "planted"u8.ToArray(), peerRoot)] }], null, false),
                TreeNodeRequest => new TreeNodeResponse([], null, true),
                EntityPush => new EntityPushAck(0, 0),
                _ => new SyncRefused("unsupported"),
            };
            return Task.FromResult(answer.Encode());
        });

        var refusedBefore = node.Replication.TreeLeafBlobsRefused;
        var synced = await node.Replication.SyncAsync(context, "hostile", default);
        var read = await node.Contexts.ReadTreeNodesAsync(context, default, 0, ["planted"u8.ToArray()], default);
        if (reason is null)
        {
            // Control: the same leaf, properly sealed, is pulled and merged.
            Assert.Single(read!.Leaves);
            Assert.NotEqual(root, node.Contexts.Get(context)!.RootHash);
            Assert.Equal(refusedBefore, node.Replication.TreeLeafBlobsRefused);
            return;
        }

        Assert.False(synced);
        Assert.Empty(read!.Leaves);
        Assert.Equal(root, node.Contexts.Get(context)!.RootHash);
        Assert.Equal(refusedBefore + 1, node.Replication.TreeLeafBlobsRefused);
        Assert.Equal(0, node.Replication.TreeLeavesPulled);
        Assert.Contains(cluster.Log, line => line.Contains("refused sealed tree leaves", StringComparison.Ordinal) && line.Contains(reason, StringComparison.Ordinal));
    }

    private static bool Same(ClusterNode a, ClusterNode b, ContextId context) =>
        a.Contexts.Get(context)?.RootHash is { } root && root == b.Contexts.Get(context)?.RootHash
        && a.Contexts.Heads(context).SequenceEqual(b.Contexts.Heads(context));

    private static async Task<bool> WaitAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Converge;
        while (DateTime.UtcNow < deadline)
        {
            if (condition())
            {
                return true;
            }

            await Task.Delay(20);
        }

        return condition();
    }
}
