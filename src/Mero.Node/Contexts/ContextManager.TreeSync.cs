using Mero.Node.Events;
using Mero.Node.Replication;
using Mero.Node.Replication.Wire;
using Mero.State.Crdt;
using Mero.Store;
using Microsoft.Extensions.Logging;

namespace Mero.Node.Contexts;

/// <summary>Collection nodes read for a tree comparison, and the leaves asked for that exist.</summary>
public sealed record TreeNodeRead(IReadOnlyList<CrdtTreeNode> Nodes, IReadOnlyList<CrdtLeaf> Leaves);

/// <summary>What merging a batch of leaves did: how many changed state, how many were refused (and why), and the root after.</summary>
public sealed record TreeMergeResult(int Merged, int Refused, Hash RootHash, IReadOnlyList<string> Errors);

/// <summary>
/// The hash-tree comparison side of the manager: reads of collection nodes and leaves, the
/// state-based merge of remote leaves, and recording a peer's heads once the roots agree. All run
/// on the manager's loop, so a read never sees half a commit and a merge commits like any op.
/// </summary>
public sealed partial class ContextManager
{
    /// <summary>
    /// The collection <paramref name="nodeId"/> and the collections under it down to
    /// <paramref name="maxDepth"/> levels (breadth first, at most
    /// <see cref="WireLimits.MaxTreeNodesPerResponse"/>), plus its leaves with the given item keys.
    /// Null if the context or the collection does not exist.
    /// </summary>
    public Task<TreeNodeRead?> ReadTreeNodesAsync(ContextId contextId, Hash nodeId, int maxDepth, IReadOnlyList<byte[]> leafKeys, CancellationToken ct) =>
        SendAsync(new ReadTreeNodesCommand(contextId, nodeId, Math.Clamp(maxDepth, 0, WireLimits.MaxTreeRequestDepth), leafKeys, ct), ct);

    /// <summary>Every leaf under collection <paramref name="nodeId"/> (for a peer that lacks the whole subtree).</summary>
    public Task<IReadOnlyList<CrdtLeaf>> ReadSubtreeLeavesAsync(ContextId contextId, Hash nodeId, int maxLeaves, CancellationToken ct) =>
        SendAsync(new ReadSubtreeLeavesCommand(contextId, nodeId, maxLeaves, ct), ct);

    /// <summary>Merges remote leaves (already past the authorization gate) in one commit; a malformed leaf is refused alone.</summary>
    public Task<TreeMergeResult> MergeLeavesAsync(ContextId contextId, IReadOnlyList<CrdtLeaf> leaves, CancellationToken ct) =>
        SendAsync(new MergeLeavesCommand(contextId, leaves, ct), ct);

    /// <summary>
    /// After a tree sync: if this node's root now equals <paramref name="peerRoot"/>, the peer's
    /// heads are recorded as known (checkpoints: their effects are in our state) and become ours.
    /// False (and nothing written) if the roots differ.
    /// </summary>
    public Task<bool> RecordTreeSyncAsync(ContextId contextId, Hash peerRoot, IReadOnlyList<Hash> peerHeads, CancellationToken ct) =>
        SendAsync(new RecordTreeSyncCommand(contextId, peerRoot, peerHeads, ct), ct);

    /// <summary>True if the command was a tree-sync one (and was handled).</summary>
    private bool HandleTreeSync(ContextCommand command)
    {
        switch (command)
        {
            case ReadTreeNodesCommand read:
                read.Completion.TrySetResult(ReadTreeNodes(read));
                return true;
            case ReadSubtreeLeavesCommand subtree:
                subtree.Completion.TrySetResult(Get(subtree.ContextId) is null ? [] : Guarded(() => TreeReader(subtree.ContextId).ReadSubtreeLeaves(subtree.NodeId, subtree.MaxLeaves)));
                return true;
            case MergeLeavesCommand merge:
                merge.Completion.TrySetResult(MergeLeaves(merge.ContextId, merge.Leaves));
                return true;
            case RecordTreeSyncCommand record:
                record.Completion.TrySetResult(RecordTreeSync(record));
                return true;
            default:
                return false;
        }
    }

    private CrdtTransaction TreeReader(ContextId contextId) =>
        new(_store, contextId, Identities(contextId).FirstOrDefault(i => i.IsOwned)?.PublicKey ?? default, _clock);

    /// <summary>A state error (a collection too large to list) becomes a quiet refusal, not a logged crash.</summary>
    private static T Guarded<T>(Func<T> read)
    {
        try
        {
            return read();
        }
        catch (CrdtException ex)
        {
            throw new NodeException(NodeErrorKind.InvalidInput, ex.Message, ex);
        }
    }

    private TreeNodeRead? ReadTreeNodes(ReadTreeNodesCommand command)
    {
        if (Get(command.ContextId) is null)
        {
            return null;
        }

        return Guarded(() =>
        {
            var reader = TreeReader(command.ContextId);
            if (reader.ReadTreeNode(command.NodeId, WireLimits.MaxTreeChildren) is not { } first)
            {
                return null;
            }

            var nodes = new List<CrdtTreeNode> { first };
            var level = new List<CrdtTreeNode> { first };
            for (var depth = 0; depth < command.MaxDepth && level.Count > 0; depth++)
            {
                var next = new List<CrdtTreeNode>();
                foreach (var child in level.SelectMany(n => n.Children).Where(c => c.IsCollection))
                {
                    if (nodes.Count >= WireLimits.MaxTreeNodesPerResponse)
                    {
                        break;
                    }

                    if (reader.ReadTreeNode(Hash.FromBytes(child.Key), WireLimits.MaxTreeChildren) is { } node)
                    {
                        nodes.Add(node);
                        next.Add(node);
                    }
                }

                level = next;
            }

            var leaves = new List<CrdtLeaf>();
            foreach (var key in command.LeafKeys.Take(WireLimits.MaxTreeLeafKeys))
            {
                if (reader.ReadLeaf(command.NodeId, key) is { } leaf)
                {
                    leaves.Add(leaf);
                }
            }

            return new TreeNodeRead(nodes, leaves);
        });
    }

    /// <summary>
    /// Contexts whose state took leaves from a tree sync that its DAG does not account for yet. Until
    /// a tree sync ends with equal roots (or a snapshot replaces the state), an op that makes our heads
    /// equal its author's says nothing about our root, so the root check is skipped.
    /// </summary>
    private readonly HashSet<ContextId> _mergedAheadOfDag = [];

    private TreeMergeResult MergeLeaves(ContextId contextId, IReadOnlyList<CrdtLeaf> leaves)
    {
        if (Get(contextId) is not { } context)
        {
            return new TreeMergeResult(0, leaves.Count, default, [$"context {contextId} is not joined here"]);
        }

        var transaction = TreeReader(contextId);
        var merged = 0;
        var errors = new List<string>();
        foreach (var leaf in leaves)
        {
            try
            {
                merged += transaction.MergeLeaf(leaf) ? 1 : 0;
            }
            catch (CrdtException ex)
            {
                // The merge checks everything before it changes anything: the others still go in.
                errors.Add(ex.Message);
                LogLeafRefused(_logger, contextId.ToString(), ex.Message);
            }
        }

        if (!transaction.HasChanges)
        {
            return new TreeMergeResult(merged, errors.Count, context.RootHash, errors);
        }

        using var batch = _store.CreateBatch();
        var commit = transaction.Commit(batch);
        batch.Put(Column.Context, contextId.AsSpan(), (context with { RootHash = commit.RootHash }).Encode());
        _store.Commit(batch);
        LogLeavesMerged(_logger, contextId.ToString(), merged, errors.Count, commit.RootHash.ToString());
        if (commit.RootHash != context.RootHash)
        {
            _mergedAheadOfDag.Add(contextId);
            _events?.Publish(new ContextEvent(contextId, commit.RootHash, []));
        }

        return new TreeMergeResult(merged, errors.Count, commit.RootHash, errors);
    }

    private bool RecordTreeSync(RecordTreeSyncCommand command)
    {
        var contextId = command.ContextId;
        if (Get(contextId) is not { } context || context.RootHash != command.PeerRoot)
        {
            return false;
        }

        // Equal roots are equal states, which the peer's heads name: they become ours (our own
        // ops stay stored and fetchable; their effects are in the peer's state already).
        _mergedAheadOfDag.Remove(contextId);
        var heads = new HashSet<Hash>(command.PeerHeads);
        var learned = command.PeerHeads.Where(h => !ContextOpLog.Contains(_store, contextId, h)).ToList();
        if (heads.Count == 0 || HeadsOf(contextId).SetEquals(heads))
        {
            return true;
        }

        using var batch = _store.CreateBatch();
        foreach (var id in learned)
        {
            ContextOpLog.PutCheckpoint(batch, contextId, id);
        }

        ContextOpLog.PutHeads(batch, contextId, heads);
        _store.Commit(batch);
        CommitHeads(contextId, heads);

        // Ops that waited on one of these can go now (their effects may be in the state already:
        // applying them again is idempotent).
        ReleaseKnownParents(contextId);

        return true;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused a leaf for {ContextId}: {Reason}")]
    private static partial void LogLeafRefused(ILogger logger, string contextId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Merged leaves into {ContextId}: {Merged} changed state, {Refused} refused, root {Root}")]
    private static partial void LogLeavesMerged(ILogger logger, string contextId, int merged, int refused, string root);
}

internal sealed record ReadTreeNodesCommand(ContextId ContextId, Hash NodeId, int MaxDepth, IReadOnlyList<byte[]> LeafKeys, CancellationToken Token) : ContextCommand<TreeNodeRead?>;

internal sealed record ReadSubtreeLeavesCommand(ContextId ContextId, Hash NodeId, int MaxLeaves, CancellationToken Token) : ContextCommand<IReadOnlyList<CrdtLeaf>>;

internal sealed record MergeLeavesCommand(ContextId ContextId, IReadOnlyList<CrdtLeaf> Leaves, CancellationToken Token) : ContextCommand<TreeMergeResult>;

internal sealed record RecordTreeSyncCommand(ContextId ContextId, Hash PeerRoot, IReadOnlyList<Hash> PeerHeads, CancellationToken Token) : ContextCommand<bool>;
