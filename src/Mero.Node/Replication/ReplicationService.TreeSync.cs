using Mero.Node.Contexts;
using Mero.Node.Replication.Wire;
using Mero.State.Crdt;
using Microsoft.Extensions.Logging;

namespace Mero.Node.Replication;

/// <summary>
/// Hash-tree comparison, both sides. Chosen when delta catch-up cannot complete (the peer knows
/// some ops only as snapshot checkpoints and cannot send them) or when both sides have the same
/// DAG heads but different roots. The requester walks the two entity trees from the root,
/// descending only into collections whose hashes differ; differing leaves are pulled (merged
/// here) and pushed (merged there), every leaf through the authorization gate: its writer must be
/// a member of the context. Leaves travel sealed under the context key (<see cref="TreeLeafSealing"/>):
/// a blob that does not open (unknown key, tampered, another context) fails the whole comparison
/// before anything is merged. When our root then equals the peer's, its heads are recorded as known.
/// </summary>
public sealed partial class ReplicationService
{
    /// <summary>Collection nodes one tree sync may visit.</summary>
    private const int MaxTreeNodesPerSync = 100_000;

    /// <summary>Leaves one tree sync may move in each direction.</summary>
    private const int MaxTreeLeavesPerSync = 1_000_000;

    /// <summary>Leaves merged per context-manager command.</summary>
    private const int MergeChunk = 4096;

    private long _treeSyncs;
    private long _treeSyncsConverged;
    private long _treeLeavesPulled;
    private long _treeLeavesPushed;
    private long _treeLeavesRefused;
    private long _treeLeafBlobsRefused;

    /// <summary>Tree comparisons this node started.</summary>
    public long TreeSyncs => Interlocked.Read(ref _treeSyncs);

    /// <summary>Tree comparisons that ended with our root equal to the peer's (its heads then recorded as known).</summary>
    public long TreeSyncsConverged => Interlocked.Read(ref _treeSyncsConverged);

    /// <summary>Leaves this node pulled from peers and merged.</summary>
    public long TreeLeavesPulled => Interlocked.Read(ref _treeLeavesPulled);

    /// <summary>Leaves this node pushed to peers.</summary>
    public long TreeLeavesPushed => Interlocked.Read(ref _treeLeavesPushed);

    /// <summary>Leaves dropped by the authorization gate or refused as malformed, pulled or pushed to us.</summary>
    public long TreeLeavesRefused => Interlocked.Read(ref _treeLeavesRefused);

    /// <summary>Sealed leaf blobs (pulled or pushed to us) refused whole: unknown key, tampered, another context, or malformed.</summary>
    public long TreeLeafBlobsRefused => Interlocked.Read(ref _treeLeafBlobsRefused);

    /// <summary>Same heads as the peer but another root: the states diverged with no op missing.</summary>
    private bool TreesDiverged(ContextId context, IReadOnlyList<Hash> peerHeads, Hash peerRoot)
    {
        // One commit's heads and root: read apart, a write in between looks like divergence.
        return _contexts.HeadsAndRoot(context) is { } mine
            && mine.Heads.Count > 0 && mine.Heads.Count == peerHeads.Count && mine.Heads.All(peerHeads.Contains)
            && mine.Root != peerRoot;
    }

    /// <summary>Runs one tree comparison with <paramref name="peer"/>; true if our root ends equal to the peer's.</summary>
    private async Task<bool> TreeSyncAsync(ContextId context, string peer, PublicKey party, CancellationToken ct)
    {
        Interlocked.Increment(ref _treeSyncs);
        var started = _time.GetTimestamp();
        var members = (await _authority!.MembersAsync(context, ct).ConfigureAwait(false)).ToHashSet();
        var pulled = new List<CrdtLeaf>();
        var pushed = new List<CrdtLeaf>();
        var queue = new Queue<Hash>([default]);
        var visited = 0;
        while (queue.TryDequeue(out var id))
        {
            if (++visited > MaxTreeNodesPerSync)
            {
                throw new InvalidDataException($"the tree comparison would visit more than {MaxTreeNodesPerSync} collections");
            }

            if (await RequestAsync(peer, new TreeNodeRequest(context, party, id, null, []), ct).ConfigureAwait(false) is not TreeNodeResponse response)
            {
                return false;
            }

            var local = (await _contexts.ReadTreeNodesAsync(context, id, 0, [], ct).ConfigureAwait(false))?.Nodes[0];
            if (response.NotFound || response.Nodes.Count == 0)
            {
                if (local is not null)
                {
                    pushed.AddRange(await _contexts.ReadSubtreeLeavesAsync(context, id, MaxTreeLeavesPerSync, ct).ConfigureAwait(false));
                }

                continue;
            }

            var remote = response.Nodes[0];
            if (remote.Id != id)
            {
                throw new InvalidDataException("the peer answered with another tree node than asked for");
            }

            if (local?.Hash == remote.Hash)
            {
                continue;
            }

            if (local is null && remote.Children.Count == 0 && remote.Kind != CrdtKind.Root)
            {
                // An empty collection we lack: created by a collection-only leaf.
                pulled.Add(new CrdtLeaf(context, remote.Path, null, null));
            }

            var mine = (local?.Children ?? []).ToDictionary(ChildKey);
            var wanted = new List<byte[]>();
            var offered = new List<byte[]>();
            foreach (var child in remote.Children)
            {
                var key = ChildKey(child);
                mine.Remove(key, out var ours);
                if (ours?.Hash == child.Hash)
                {
                    continue;
                }

                if (child.IsCollection)
                {
                    queue.Enqueue(Hash.FromBytes(child.Key));
                    continue;
                }

                wanted.Add(child.Key);
                if (ours is not null)
                {
                    offered.Add(child.Key);
                }
            }

            // What only we have.
            foreach (var ours in mine.Values)
            {
                if (ours.IsCollection)
                {
                    pushed.AddRange(await _contexts.ReadSubtreeLeavesAsync(context, Hash.FromBytes(ours.Key), MaxTreeLeavesPerSync, ct).ConfigureAwait(false));
                }
                else
                {
                    offered.Add(ours.Key);
                }
            }

            foreach (var chunk in wanted.Chunk(WireLimits.MaxTreeLeafKeys))
            {
                if (await RequestAsync(peer, new TreeNodeRequest(context, party, id, null, chunk), ct).ConfigureAwait(false) is not TreeNodeResponse leaves)
                {
                    return false;
                }

                if (leaves.SealedLeaves is { } sealedLeaves)
                {
                    pulled.AddRange(Gate(context, members, await OpenLeavesAsync(context, peer, TreeLeafUse.Answer, sealedLeaves, WireLimits.MaxTreeLeafKeys, ct).ConfigureAwait(false)));
                }
            }

            foreach (var chunk in offered.Chunk(WireLimits.MaxTreeLeafKeys))
            {
                if (await _contexts.ReadTreeNodesAsync(context, id, 0, chunk, ct).ConfigureAwait(false) is { } read)
                {
                    pushed.AddRange(read.Leaves);
                }
            }

            if (pulled.Count > MaxTreeLeavesPerSync || pushed.Count > MaxTreeLeavesPerSync)
            {
                throw new InvalidDataException($"the tree comparison would move more than {MaxTreeLeavesPerSync} leaves");
            }
        }

        foreach (var chunk in pulled.Chunk(MergeChunk))
        {
            var merged = await _contexts.MergeLeavesAsync(context, chunk, ct).ConfigureAwait(false);
            Interlocked.Add(ref _treeLeavesRefused, merged.Refused);
        }

        Interlocked.Add(ref _treeLeavesPulled, pulled.Count);
        ContextKey? sealing = null;
        if (pushed.Count > 0)
        {
            sealing = await _authority!.CurrentKeyAsync(context, ct).ConfigureAwait(false)
                ?? throw new InvalidDataException("no context key to seal the leaves to push");
        }

        foreach (var batch in PushBatches(pushed))
        {
            var push = new EntityPush(context, party, TreeLeafSealing.Seal(context, TreeLeafUse.Push, batch, sealing!));
            if (await RequestAsync(peer, push, ct).ConfigureAwait(false) is not EntityPushAck)
            {
                return false;
            }

            Interlocked.Add(ref _treeLeavesPushed, batch.Count);
        }

        // The peer's root after our pushes: equal to ours means both hold the same state.
        if (await RequestAsync(peer, new DagHeadsRequest(context, party), ct).ConfigureAwait(false) is not DagHeadsResponse after)
        {
            return false;
        }

        var converged = await _contexts.RecordTreeSyncAsync(context, after.RootHash, after.DagHeads, ct).ConfigureAwait(false);
        if (converged)
        {
            Interlocked.Increment(ref _treeSyncsConverged);
        }

        LogTreeSync(_logger, context.ToString(), peer, visited, pulled.Count, pushed.Count, converged, _time.GetElapsedTime(started).TotalMilliseconds);
        return converged;
    }

    private static (bool, string) ChildKey(CrdtTreeChild child) => (child.IsCollection, Convert.ToHexString(child.Key));

    /// <summary>The authorization gate: a leaf carrying a write (or removal, or text chars) of a non-member is dropped.</summary>
    private List<CrdtLeaf> Gate(ContextId context, HashSet<PublicKey> members, IEnumerable<TreeLeafData> leaves)
    {
        var passed = new List<CrdtLeaf>();
        foreach (var data in leaves)
        {
            var leaf = data.ToLeaf(context);
            var strangers = leaf.Writers().Where(w => !members.Contains(w)).ToList();
            if (strangers.Count > 0)
            {
                Interlocked.Increment(ref _treeLeavesRefused);
                LogLeafDropped(_logger, context.ToString(), strangers[0].ToString());
                continue;
            }

            passed.Add(leaf);
        }

        return passed;
    }

    /// <summary>
    /// Opens a sealed leaf blob with the key it names. Throws (after logging and counting) for a key
    /// this node does not hold, a tampered blob, one for another context or use, or a malformed one.
    /// Pulled leaves (<see cref="TreeLeafUse.Answer"/>) name a key we may lack after a rotation: it is
    /// asked from the answering peer first, as for a snapshot page. A push never triggers that (a
    /// pusher could otherwise make us chase key ids it made up).
    /// </summary>
    private async Task<IReadOnlyList<TreeLeafData>> OpenLeavesAsync(ContextId context, string source, TreeLeafUse use, byte[] sealedLeaves, int maxLeaves, CancellationToken ct)
    {
        try
        {
            var keyId = TreeLeafSealing.KeyIdOf(sealedLeaves);
            var key = (use == TreeLeafUse.Answer
                    ? await PageKeyAsync(context, source, keyId, ct).ConfigureAwait(false)
                    : await _authority!.KeyAsync(context, keyId, ct).ConfigureAwait(false))
                ?? throw new InvalidDataException($"tree leaves are sealed under key {keyId}, which this node does not hold");
            return TreeLeafSealing.Open(context, use, sealedLeaves, key, maxLeaves);
        }
        catch (InvalidDataException ex)
        {
            Interlocked.Increment(ref _treeLeafBlobsRefused);
            LogLeafBlobRefused(_logger, context.ToString(), source, ex.Message);
            throw;
        }
    }

    /// <summary>Pushes split by leaf count and by bytes, under the entity push request cap (less the sealing overhead).</summary>
    private static IEnumerable<List<TreeLeafData>> PushBatches(List<CrdtLeaf> leaves)
    {
        var batch = new List<TreeLeafData>();
        long bytes = 0;
        foreach (var leaf in leaves)
        {
            var size = 64 + (leaf.ItemKey?.Length ?? 0) + (leaf.Record?.Length ?? 0) + leaf.Path.Sum(s => 5 + s.Name.Length);
            if (batch.Count > 0 && (batch.Count >= WireLimits.MaxEntityPushLeaves || bytes + size > WireLimits.MaxEntityPushBytes - 1024 - TreeLeafSealing.Overhead))
            {
                yield return batch;
                batch = [];
                bytes = 0;
            }

            batch.Add(TreeLeafData.From(leaf));
            bytes += size;
        }

        if (batch.Count > 0)
        {
            yield return batch;
        }
    }

    // ---- serving ----

    private async Task<SyncResponse> AnswerTreeSyncAsync(SyncRequest request, CancellationToken ct)
    {
        switch (request)
        {
            case TreeNodeRequest node:
                if (await RefusalAsync(node.ContextId, node.PartyId, ct).ConfigureAwait(false) is { } refusedNode)
                {
                    return refusedNode;
                }

                TreeNodeRead? read;
                try
                {
                    read = await _contexts.ReadTreeNodesAsync(node.ContextId, node.NodeId, node.MaxDepth ?? 0, node.LeafKeys, ct).ConfigureAwait(false);
                }
                catch (NodeException ex)
                {
                    return new SyncRefused(Truncate(ex.Message));
                }

                byte[]? sealedLeaves = null;
                if (read is not null && node.LeafKeys.Count > 0)
                {
                    if (await _authority!.CurrentKeyAsync(node.ContextId, ct).ConfigureAwait(false) is not { } key)
                    {
                        return new SyncRefused("no key to seal the leaves");
                    }

                    sealedLeaves = TreeLeafSealing.Seal(node.ContextId, TreeLeafUse.Answer, [.. read.Leaves.Select(TreeLeafData.From)], key);
                }

                var response = read is null ? new TreeNodeResponse([], null, true) : new TreeNodeResponse(read.Nodes, sealedLeaves, false);

                // Many large collections in one answer: the requester asks for less (one node).
                return response.Encode().Length <= SyncProtocol.MaxResponseBytes ? response : new SyncRefused("tree nodes too large for one response");
            case EntityPush push:
                if (await RefusalAsync(push.ContextId, push.PartyId, ct).ConfigureAwait(false) is { } refusedPush)
                {
                    return refusedPush;
                }

                IReadOnlyList<TreeLeafData> entities;
                try
                {
                    entities = await OpenLeavesAsync(push.ContextId, push.PartyId.ToString(), TreeLeafUse.Push, push.SealedEntities, WireLimits.MaxEntityPushLeaves, ct).ConfigureAwait(false);
                }
                catch (InvalidDataException ex)
                {
                    return new SyncRefused(Truncate(ex.Message));
                }

                var members = (await _authority!.MembersAsync(push.ContextId, ct).ConfigureAwait(false)).ToHashSet();
                var passed = Gate(push.ContextId, members, entities);
                var merged = await _contexts.MergeLeavesAsync(push.ContextId, passed, ct).ConfigureAwait(false);
                Interlocked.Add(ref _treeLeavesRefused, merged.Refused);
                return new EntityPushAck((uint)merged.Merged, (uint)(entities.Count - passed.Count + merged.Refused));
            default:
                return new SyncRefused("unsupported request");
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "tree sync of {ContextId} with {Peer}: {Nodes} collections compared, {Pulled} leaves pulled, {Pushed} pushed, converged={Converged} in {Millis} ms")]
    private static partial void LogTreeSync(ILogger logger, string contextId, string peer, int nodes, int pulled, int pushed, bool converged, double millis);

    [LoggerMessage(Level = LogLevel.Warning, Message = "refused sealed tree leaves of {ContextId} from {Source}, nothing merged: {Reason}")]
    private static partial void LogLeafBlobRefused(ILogger logger, string contextId, string source, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "dropped a leaf of {ContextId} written by {Author}: not a member")]
    private static partial void LogLeafDropped(ILogger logger, string contextId, string author);
}
