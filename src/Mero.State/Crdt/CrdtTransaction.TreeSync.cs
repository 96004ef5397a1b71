using Mero.Primitives.Clock;
using Mero.State.Text;

namespace Mero.State.Crdt;

/// <summary>
/// Hash-tree comparison support: reading a collection node (its hash and its children's hashes)
/// so two replicas can walk down only where they differ, and a state-based merge of a remote
/// leaf. The merge is the same LWW rule as applying an action (greater HLC stamp wins, an equal
/// stamp is the same write), so merging a leaf twice, or leaves in any order, ends in the same
/// state. Counter slots hold each executor's running total, so a merged slot replaces, never adds.
/// </summary>
public sealed partial class CrdtTransaction
{
    /// <summary>
    /// The collection <paramref name="id"/> (the root for the zero id) with its children: every
    /// entry (tombstones included) and every nested collection. Null if the collection does not
    /// exist. A text lists one entry, its whole state under the empty key. Throws when the collection
    /// has more than <paramref name="maxChildren"/> children.
    /// </summary>
    public CrdtTreeNode? ReadTreeNode(Hash id, int maxChildren = int.MaxValue)
    {
        FlushTexts();
        PropagateHashes();
        var meta = id == default ? Root() : LoadMeta(id);
        if (meta is null)
        {
            return null;
        }

        var children = new List<CrdtTreeChild>();
        var hash = new byte[32];
        if (meta.Kind == CrdtKind.Text)
        {
            // A text is one leaf (its whole state under the empty key), hashed by its char digest.
            meta.ChildSum.Write(hash);
            children.Add(new CrdtTreeChild(false, CrdtKind.Text, [], Hash.FromBytes(hash)));
        }
        else
        {
            foreach (var (key, entry) in ScanEntries(meta))
            {
                CheckChildCount(children, maxChildren, meta);
                CrdtEntry.LeafHash(key, entry.Record, hash);
                children.Add(new CrdtTreeChild(false, meta.Kind, key, Hash.FromBytes(hash)));
            }
        }

        foreach (var childId in ChildIds(meta))
        {
            if (LoadMeta(childId) is { } child)
            {
                CheckChildCount(children, maxChildren, meta);
                children.Add(new CrdtTreeChild(true, child.Kind, childId.AsSpan().ToArray(), Hash.FromBytes(child.ComputeHash())));
            }
        }

        return new CrdtTreeNode(meta.Id, meta.Kind, Hash.FromBytes(meta.ComputeHash()), PathOf(meta), children);
    }

    /// <summary>The leaf (collection, item key) as stored here; null if there is none (or the collection is a text).</summary>
    public CrdtLeaf? ReadLeaf(Hash collection, ReadOnlySpan<byte> itemKey)
    {
        var meta = collection == default ? Root() : LoadMeta(collection);
        if (meta is null)
        {
            return null;
        }

        if (meta.Kind == CrdtKind.Text)
        {
            return itemKey.IsEmpty ? new CrdtLeaf(_context, PathOf(meta), [], LoadText(meta).Document.EncodeState()) : null;
        }

        var entry = ReadEntry(meta, itemKey);
        return entry.Exists ? new CrdtLeaf(_context, PathOf(meta), itemKey.ToArray(), entry.Record) { Removed = WatermarkOf(meta, itemKey) } : null;
    }

    /// <summary>
    /// Every leaf under collection <paramref name="id"/>, nested collections included; an empty
    /// collection is one collection-only leaf so the other side creates it too; a text is one leaf
    /// (its whole state). Throws past <paramref name="maxLeaves"/>.
    /// </summary>
    public IReadOnlyList<CrdtLeaf> ReadSubtreeLeaves(Hash id, int maxLeaves = int.MaxValue)
    {
        var leaves = new List<CrdtLeaf>();
        if ((id == default ? Root() : LoadMeta(id)) is { } meta)
        {
            CollectLeaves(meta, leaves, maxLeaves);
        }

        return leaves;
    }

    private void CollectLeaves(CollectionMeta meta, List<CrdtLeaf> leaves, int maxLeaves)
    {
        if (meta.Kind == CrdtKind.Text)
        {
            Add(new CrdtLeaf(_context, PathOf(meta), [], LoadText(meta).Document.EncodeState()));
            return;
        }

        var path = PathOf(meta);
        var entries = ScanEntries(meta);
        var children = ChildIds(meta);
        if (entries.Count == 0 && children.Count == 0 && !meta.IsRoot)
        {
            Add(new CrdtLeaf(_context, path, null, null));
            return;
        }

        foreach (var (key, entry) in entries)
        {
            Add(new CrdtLeaf(_context, path, key, entry.Record) { Removed = WatermarkOf(meta, key) });
        }

        foreach (var childId in children)
        {
            if (LoadMeta(childId) is { } child)
            {
                CollectLeaves(child, leaves, maxLeaves);
            }
        }

        void Add(CrdtLeaf leaf)
        {
            if (leaves.Count >= maxLeaves)
            {
                throw new CrdtException($"the subtree has more than {maxLeaves} leaves");
            }

            leaves.Add(leaf);
        }
    }

    /// <summary>
    /// Merges a remote leaf: creates its collection path if missing, then applies the record by
    /// LWW (a map tombstone also removes what is nested under its key, as a remove action does).
    /// A leaf under a map key removed at a later stamp is dropped. Everything is checked before
    /// anything changes: a leaf of another context, a bad kind or nesting, an oversized key or
    /// record, bad flags, a record that does not fit its collection's kind, or a stamp too far
    /// ahead throws <see cref="CrdtException"/> and leaves the transaction as it was.
    /// Returns true if state changed.
    /// </summary>
    public bool MergeLeaf(CrdtLeaf leaf)
    {
        ArgumentNullException.ThrowIfNull(leaf);
        if (leaf.Context != _context)
        {
            throw new CrdtException($"a leaf of context {leaf.Context} cannot merge into context {_context}");
        }

        var kind = CheckPath(leaf.Path, out var removed);
        CrdtEntry entry = default;
        if (leaf.ItemKey is null)
        {
            if (leaf.Record is not null)
            {
                throw new CrdtException("a collection-only leaf carries no record");
            }

            if (kind == CrdtKind.Text)
            {
                throw new CrdtException("a text leaf needs its state under the empty key");
            }
        }
        else
        {
            if (leaf.Record is null)
            {
                throw new CrdtException("an entry leaf needs a record");
            }

            if (kind == CrdtKind.Text)
            {
                return MergeText(leaf, removed);
            }

            if (leaf.ItemKey.Length > CrdtLeaf.MaxItemKeyBytes)
            {
                throw new CrdtException($"a leaf item key of {leaf.ItemKey.Length} bytes exceeds the limit of {CrdtLeaf.MaxItemKeyBytes}");
            }

            CrdtTreeLimits.CheckRecord(kind, leaf.ItemKey, leaf.Record);
            if (leaf.Removed is { } removal && (kind != CrdtKind.Map || removal.Time == 0))
            {
                throw new CrdtException("only a map entry leaf carries a removal, and it needs a timestamp");
            }

            entry = new CrdtEntry([.. leaf.Record]);
            var newest = leaf.Removed is { } r && r > entry.Stamp ? r : entry.Stamp;
            ObserveLeafClock(newest, "leaf");
        }

        // Under a key removed at or after this write: the removal wins, and nothing is created.
        if (removed is { } watermark && (!entry.Exists || (entry.Stamp <= watermark && (leaf.Removed is not { } own || own <= watermark))))
        {
            return false;
        }

        var meta = EnsurePath(leaf.Path, out var changed);

        if (!entry.Exists)
        {
            return changed;
        }

        if (removed is not { } covering || entry.Stamp > covering)
        {
            changed |= ApplyEntry(meta, leaf.ItemKey, entry, ReadEntry(meta, leaf.ItemKey));
        }

        if (meta.Kind == CrdtKind.Map && (entry.IsTombstone || leaf.Removed is not null))
        {
            var removal = entry.IsTombstone && (leaf.Removed is not { } removedAt || entry.Stamp > removedAt) ? entry.Stamp : leaf.Removed!.Value;
            changed |= ReadStamp(PrefixedKey(WatermarkTag, meta.Id, leaf.ItemKey)) is not { } known || known < removal;

            // Collections created by earlier leaves of this transaction must be in their parents'
            // sums first, or the purge would take a parent for empty while a newer child survives.
            PropagateHashes();
            RemoveNested(meta, leaf.ItemKey, removal);
        }

        return changed;
    }

    /// <summary>The collection a leaf's path names, creating every missing step; <paramref name="created"/> if any was.</summary>
    private CollectionMeta EnsurePath(IReadOnlyList<CrdtPathStep> path, out bool created)
    {
        var meta = Root();
        created = false;
        foreach (var step in path)
        {
            meta = EnsureCollection(meta, step.Kind, step.Name, out var made);
            created |= made;
        }

        return meta;
    }

    /// <summary>Refuses a stamp too far ahead before anything changes; later local writes then win.</summary>
    private void ObserveLeafClock(HybridTimestamp stamp, string what)
    {
        try
        {
            _clock.Observe(stamp);
        }
        catch (Exception ex) when (ex is ClockDriftException or OverflowException)
        {
            throw new CrdtException($"the {what}'s clock is too far ahead ({ex.Message})");
        }
    }

    /// <summary>
    /// Merges a text's whole state: replayed as ops (oldest first), each either new here or
    /// already applied, so merging the same state twice changes nothing. Texts under a removed
    /// map key are gone for good, as with ops.
    /// </summary>
    private bool MergeText(CrdtLeaf leaf, HybridTimestamp? removed)
    {
        if (leaf.ItemKey!.Length != 0 || leaf.Removed is not null)
        {
            throw new CrdtException("a text leaf is its whole state under the empty key, with no removal");
        }

        if (leaf.Record!.Length > CrdtLeaf.MaxRecordBytes)
        {
            throw new CrdtException($"a text state of {leaf.Record.Length} bytes exceeds the limit of {CrdtLeaf.MaxRecordBytes}");
        }

        RgaText remote;
        try
        {
            remote = RgaText.DecodeState(leaf.Record, _executor);
        }
        catch (RgaFormatException ex)
        {
            throw new CrdtException($"a text leaf does not decode: {ex.Message}");
        }

        if (remote.MaxTime > 0)
        {
            ObserveLeafClock(new HybridTimestamp(remote.MaxTime, default), "text");
        }

        if (removed is not null)
        {
            return false;
        }

        var meta = EnsurePath(leaf.Path, out var changed);

        var state = LoadText(meta);
        var applied = state.NewOps.Count;
        foreach (var op in remote.StateOps())
        {
            ApplyTextOp(meta, op);
        }

        return changed || state.NewOps.Count != applied;
    }

    /// <summary>The removal watermark of a map key, if any.</summary>
    private HybridTimestamp? WatermarkOf(CollectionMeta meta, ReadOnlySpan<byte> itemKey) =>
        meta.Kind == CrdtKind.Map ? ReadStamp(PrefixedKey(WatermarkTag, meta.Id, itemKey)) : null;

    /// <summary>Validates a leaf's path without changing anything; returns the kind it ends in and the newest removal covering it.</summary>
    private CrdtKind CheckPath(IReadOnlyList<CrdtPathStep> path, out HybridTimestamp? removed)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path.Count > CollectionMeta.MaxDepth)
        {
            throw new CrdtException($"a leaf path of {path.Count} steps nests deeper than {CollectionMeta.MaxDepth}");
        }

        removed = null;
        var kind = CrdtKind.Root;
        Hash id = default;
        for (var i = 0; i < path.Count; i++)
        {
            var step = path[i] ?? throw new CrdtException($"leaf path step {i} is missing");
            if (step.Kind is CrdtKind.Root or > CrdtKind.Text)
            {
                throw new CrdtException($"leaf path step {i} has kind {(byte)step.Kind}, which cannot be nested");
            }

            if (kind is not (CrdtKind.Root or CrdtKind.Map))
            {
                throw new CrdtException($"leaf path step {i} nests in a {kind}");
            }

            if (step.Name is null || step.Name.Length > CrdtLeaf.MaxNameBytes)
            {
                throw new CrdtException($"leaf path step {i} has no name or one over {CrdtLeaf.MaxNameBytes} bytes");
            }

            if (kind == CrdtKind.Map && ReadStamp(PrefixedKey(WatermarkTag, id, step.Name)) is { } own && (removed is null || own > removed.Value))
            {
                removed = own;
            }

            id = CollectionMeta.DeriveId(id, step.Kind, step.Name);
            if (LoadMeta(id) is { } existing && existing.Kind != step.Kind)
            {
                throw new CrdtException($"leaf path step {i}: collection {id} is a {existing.Kind}, not a {step.Kind}");
            }

            kind = step.Kind;
        }

        return kind;
    }

    private List<CrdtPathStep> PathOf(CollectionMeta meta)
    {
        var path = new List<CrdtPathStep>();
        while (!meta.IsRoot)
        {
            path.Add(new CrdtPathStep(meta.Kind, meta.Name));
            meta = LoadMeta(meta.ParentId) ?? throw new CrdtException($"collection {meta.Id} has no parent {meta.ParentId}");
        }

        path.Reverse();
        return path;
    }

    private static void CheckChildCount(List<CrdtTreeChild> children, int maxChildren, CollectionMeta meta)
    {
        if (children.Count >= maxChildren)
        {
            throw new CrdtException($"collection {meta.Id} has more than {maxChildren} children");
        }
    }
}
