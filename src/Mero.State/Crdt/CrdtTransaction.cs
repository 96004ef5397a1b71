using Mero.Primitives.Clock;
using Mero.Store;

namespace Mero.State.Crdt;

/// <summary>
/// One execute's (or one remote delta's) view of a context's entity tree. Reads fall through to
/// the store and are cached; writes are CRDT actions that update the overlay, the touched
/// collections' child sums and the delta being built. <see cref="Commit"/> propagates hashes up
/// to the root and puts everything in the caller's batch; dropping the transaction discards all.
/// Only what is touched is loaded. Not thread-safe: one per execute, on the context's actor loop.
/// </summary>
public sealed partial class CrdtTransaction
{
    internal const byte EntryTag = (byte)'e';
    internal const byte MetaTag = (byte)'c';
    internal const byte PendingTag = (byte)'p';

    private readonly MeroStore _store;
    private readonly ContextId _context;
    private readonly PublicKey _executor;
    private readonly HybridLogicalClock _clock;
    private readonly Dictionary<byte[], byte[]?> _overlay = new(ByteArrayComparer.Instance);
    private readonly Dictionary<Hash, CollectionMeta> _metas = [];
    private readonly List<CrdtDeclaration> _declarations = [];
    private readonly Dictionary<Hash, int> _declarationIndex = [];
    private readonly List<CrdtAction> _actions = [];
    private CollectionMeta? _root;

    public CrdtTransaction(MeroStore store, ContextId context, PublicKey executor, HybridLogicalClock clock)
    {
        _store = store;
        _context = context;
        _executor = executor;
        _clock = clock;
    }

    public ContextId ContextId => _context;

    public PublicKey Executor => _executor;

    /// <summary>True once this transaction changed state (a local action or an applied remote one).</summary>
    public bool HasChanges =>
        _overlay.Count > 0 || _actions.Count > 0 || _declarations.Count > 0
        || _metas.Values.Any(m => m.Dirty) || _texts.Values.Any(t => t.Dirty || t.WaitingDirty);

    /// <summary>Store writes pending (entries, metadata, text states).</summary>
    public int ChangeCount => _overlay.Count;

    /// <summary>The local actions so far, as a delta authored by the executor.</summary>
    public CrdtDelta Delta => new(_executor, _declarations, _actions);

    // ---- raw key-value storage: LWW entries of the root ----

    /// <summary>The live value of a raw key (storage_read).</summary>
    public byte[]? Read(ReadOnlySpan<byte> key)
    {
        var entry = ReadEntry(Root(), key);
        return entry.IsLive ? entry.Value.ToArray() : null;
    }

    /// <summary>storage_write: an LWW put on the root; returns the previous live value.</summary>
    public byte[]? Write(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        var root = Root();
        var previous = ReadEntry(root, key);
        LocalPut(root, key, value, previous);
        return previous.IsLive ? previous.Value.ToArray() : null;
    }

    /// <summary>storage_remove: an LWW tombstone on the root if the key is live; returns the removed value.</summary>
    public byte[]? Remove(ReadOnlySpan<byte> key)
    {
        var root = Root();
        var previous = ReadEntry(root, key);
        if (!previous.IsLive)
        {
            return null;
        }

        LocalRemove(root, key, previous);
        return previous.Value.ToArray();
    }

    // ---- commit ----

    /// <summary>
    /// Propagates changed hashes to the root and adds every write to <paramref name="batch"/>.
    /// Returns the local delta and the new root hash (unchanged if nothing was written).
    /// </summary>
    public CrdtCommit Commit(StoreBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        FlushTexts();
        PropagateHashes();
        foreach (var (key, value) in _overlay)
        {
            if (value is null)
            {
                batch.Delete(Column.State, key);
            }
            else
            {
                batch.Put(Column.State, key, value);
            }
        }

        CacheTexts();
        return new CrdtCommit(Delta, Hash.FromBytes(Root().ComputeHash()), _overlay.Count > 0);
    }

    /// <summary>The root hash as of now (propagating pending changes first).</summary>
    public Hash RootHash()
    {
        FlushTexts();
        PropagateHashes();
        return Hash.FromBytes(Root().ComputeHash());
    }

    private void PropagateHashes()
    {
        // Children before parents: a parent made dirty here has a smaller depth, so a later pass sees it.
        for (var depth = MaxDirtyDepth(); depth >= 0; depth--)
        {
            List<CollectionMeta>? level = null;
            foreach (var meta in _metas.Values)
            {
                if (meta.Dirty && meta.Depth == depth)
                {
                    (level ??= []).Add(meta);
                }
            }

            if (level is null)
            {
                continue;
            }

            foreach (var meta in level)
            {
                // A collection emptied under a removed map key (or declared only by dropped actions) goes away.
                if (!meta.IsRoot && meta.ChildSum.IsZero && RemovedAt(meta) is not null)
                {
                    DeleteMeta(meta);
                    continue;
                }

                meta.Dirty = false;
                _overlay[MetaKey(meta.Id)] = meta.Encode();
                if (meta.IsRoot)
                {
                    continue;
                }

                var hash = meta.ComputeHash();
                if (meta.CommittedHash is { } old && old.AsSpan().SequenceEqual(hash))
                {
                    continue;
                }

                var parent = LoadMeta(meta.ParentId) ?? throw new CrdtException($"collection {meta.Id} has no parent {meta.ParentId}");
                if (meta.CommittedHash is { } previous)
                {
                    parent.ChildSum.Subtract(previous);
                }

                parent.ChildSum.Add(hash);
                parent.Dirty = true;
                meta.CommittedHash = hash;
            }
        }
    }

    private int MaxDirtyDepth()
    {
        var max = -1;
        foreach (var meta in _metas.Values)
        {
            if (meta.Dirty && meta.Depth > max)
            {
                max = meta.Depth;
            }
        }

        return max;
    }

    // ---- entries ----

    private HybridTimestamp NextStamp() => new(_clock.Now().Time, _executor);

    private CrdtEntry ReadEntry(CollectionMeta meta, ReadOnlySpan<byte> itemKey)
    {
        var key = EntryKey(meta.Id, itemKey);
        return CrdtEntry.FromStored(_overlay.TryGetValue(key, out var pending) ? pending : _store.Get(Column.State, key));
    }

    private void LocalPut(CollectionMeta meta, ReadOnlySpan<byte> itemKey, ReadOnlySpan<byte> value, CrdtEntry current)
    {
        var stamp = NextStamp();
        if (ApplyEntry(meta, itemKey, CrdtEntry.Create(stamp, false, value), current))
        {
            Record(CrdtActionKind.Put, meta, stamp.Time, itemKey, value);
        }
    }

    private HybridTimestamp LocalRemove(CollectionMeta meta, ReadOnlySpan<byte> itemKey, CrdtEntry current)
    {
        var stamp = NextStamp();
        if (ApplyEntry(meta, itemKey, CrdtEntry.Create(stamp, true, []), current))
        {
            Record(CrdtActionKind.Remove, meta, stamp.Time, itemKey, []);
        }

        return stamp;
    }

    private void Record(CrdtActionKind kind, CollectionMeta meta, ulong time, ReadOnlySpan<byte> itemKey, ReadOnlySpan<byte> value) =>
        _actions.Add(new CrdtAction(kind, DeclarationIndex(meta), time, itemKey.ToArray(), value.ToArray()));

    /// <summary>The LWW merge: the entry with the greater HLC stamp wins; equal stamps are the same write.</summary>
    private bool ApplyEntry(CollectionMeta meta, ReadOnlySpan<byte> itemKey, CrdtEntry next, CrdtEntry current)
    {
        if (current.Exists && current.Stamp.CompareTo(next.Stamp) >= 0)
        {
            return false;
        }

        Span<byte> hash = stackalloc byte[32];
        if (current.Exists)
        {
            CrdtEntry.LeafHash(itemKey, current.Record, hash);
            meta.ChildSum.Subtract(hash);
        }

        CrdtEntry.LeafHash(itemKey, next.Record, hash);
        meta.ChildSum.Add(hash);
        meta.LiveCount += (next.IsLive ? 1 : 0) - (current.IsLive ? 1 : 0);
        meta.Dirty = true;
        _overlay[EntryKey(meta.Id, itemKey)] = next.Record;
        if (meta.Kind == CrdtKind.Vector && current.IsLive != next.IsLive)
        {
            OnVectorLivenessChanged(meta, itemKey, next.IsLive);
        }

        return true;
    }

    // ---- collections ----

    private CollectionMeta Root() => _root ??= LoadMeta(default) ?? AddMeta(CollectionMeta.NewRoot());

    private CollectionMeta? LoadMeta(Hash id)
    {
        if (_metas.TryGetValue(id, out var meta))
        {
            return meta;
        }

        var key = MetaKey(id);
        var bytes = _overlay.TryGetValue(key, out var pending) ? pending : _store.Get(Column.State, key);
        return bytes is null ? null : AddMeta(CollectionMeta.Decode(id, bytes));
    }

    private CollectionMeta AddMeta(CollectionMeta meta)
    {
        _metas[meta.Id] = meta;
        if (meta.IsRoot)
        {
            _root = meta;
        }

        return meta;
    }

    /// <summary>The collection (kind, name) under parent, created (and declared in the delta) if missing.</summary>
    private CollectionMeta EnsureCollection(CollectionMeta parent, CrdtKind kind, ReadOnlySpan<byte> name, out bool created)
    {
        var id = CollectionMeta.DeriveId(parent.Id, kind, name);
        created = false;
        if (LoadMeta(id) is { } existing)
        {
            return existing.Kind == kind ? existing : throw new CrdtException($"collection {id} is a {existing.Kind}, not a {kind}");
        }

        if (parent.Depth + 1 > CollectionMeta.MaxDepth)
        {
            throw new CrdtException($"collections nest at most {CollectionMeta.MaxDepth} deep");
        }

        created = true;
        _overlay[PrefixedKey(ChildTag, parent.Id, id.AsSpan())] = [];
        return AddMeta(new CollectionMeta
        {
            Id = id,
            Kind = kind,
            Depth = parent.Depth + 1,
            ParentId = parent.Id,
            Name = name.ToArray(),
            Dirty = true,
        });
    }

    private int DeclarationIndex(CollectionMeta meta)
    {
        if (meta.IsRoot)
        {
            return -1;
        }

        if (_declarationIndex.TryGetValue(meta.Id, out var index))
        {
            return index;
        }

        var parent = LoadMeta(meta.ParentId) ?? throw new CrdtException($"collection {meta.Id} has no parent {meta.ParentId}");
        var parentIndex = DeclarationIndex(parent);
        index = _declarations.Count;
        _declarations.Add(new CrdtDeclaration(meta.Kind, parentIndex, meta.Name));
        _declarationIndex[meta.Id] = index;
        return index;
    }

    private CollectionMeta Resolve(CollectionRef collection, CrdtKind expected)
    {
        if (collection.Kind != expected)
        {
            throw new CrdtException($"{collection} is not a {expected}");
        }

        var meta = collection.Kind == CrdtKind.Root ? Root() : LoadMeta(collection.Id);
        return meta is not null && meta.Kind == expected
            ? meta
            : throw new CrdtException($"no {expected} {collection.Id} in this context");
    }

    /// <summary>Like <see cref="Resolve"/> but null (read as empty) for a child collection that was never written.</summary>
    private CollectionMeta? TryResolve(CollectionRef collection, CrdtKind expected)
    {
        if (collection.Kind != expected)
        {
            throw new CrdtException($"{collection} is not a {expected}");
        }

        return collection.Kind == CrdtKind.Root ? Root() : LoadMeta(collection.Id);
    }

    // ---- keys ----

    private byte[] EntryKey(Hash collection, ReadOnlySpan<byte> itemKey)
    {
        var key = new byte[32 + 1 + 32 + itemKey.Length];
        _context.AsSpan().CopyTo(key);
        key[32] = EntryTag;
        collection.AsSpan().CopyTo(key.AsSpan(33));
        itemKey.CopyTo(key.AsSpan(65));
        return key;
    }

    private byte[] CollectionPrefix(Hash collection) => EntryKey(collection, []);

    private byte[] MetaKey(Hash collection) => TaggedKey(MetaTag, collection);

    private byte[] TaggedKey(byte tag, Hash collection)
    {
        var key = new byte[32 + 1 + 32];
        _context.AsSpan().CopyTo(key);
        key[32] = tag;
        collection.AsSpan().CopyTo(key.AsSpan(33));
        return key;
    }

    /// <summary>Every entry of a collection (tombstones included), store merged with this transaction's writes, in key order.</summary>
    private SortedDictionary<byte[], CrdtEntry> ScanEntries(CollectionMeta meta)
    {
        var prefix = CollectionPrefix(meta.Id);
        var result = new SortedDictionary<byte[], CrdtEntry>(ByteOrder.Instance);
        foreach (var (key, value) in _store.Scan(Column.State, prefix))
        {
            result[key[prefix.Length..]] = CrdtEntry.FromStored(value);
        }

        foreach (var (key, value) in _overlay)
        {
            if (!key.AsSpan().StartsWith(prefix))
            {
                continue;
            }

            // Null: deleted in this transaction (an entry dropped with its removed map key).
            if (value is null)
            {
                result.Remove(key[prefix.Length..]);
            }
            else
            {
                result[key[prefix.Length..]] = CrdtEntry.FromStored(value);
            }
        }

        return result;
    }
}

/// <summary>The result of committing a transaction: the local delta, the new root hash, and whether anything was written.</summary>
public sealed record CrdtCommit(CrdtDelta Delta, Hash RootHash, bool Changed);

/// <summary>Lexicographic byte order (the store's key order).</summary>
internal sealed class ByteOrder : IComparer<byte[]>
{
    public static ByteOrder Instance { get; } = new();

    public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
}
