using System.Buffers.Binary;
using Mero.Primitives.Clock;

namespace Mero.State.Crdt;

/// <summary>Opening collections, and the map, set, register and counter operations.</summary>
public sealed partial class CrdtTransaction
{
    // Children opened by name but not written yet: created (and declared) on their first write,
    // so a read-only call never changes state.
    private readonly Dictionary<Hash, (CollectionRef Parent, byte[] Name)> _unborn = [];

    /// <summary>
    /// The collection named <paramref name="name"/> of <paramref name="kind"/> under a root or map
    /// <paramref name="parent"/>. Its id is derived from the path, so every replica opening the same
    /// path gets the same collection and concurrent writes to it merge. It exists once written.
    /// </summary>
    public CollectionRef Child(CollectionRef parent, ReadOnlySpan<byte> name, CrdtKind kind)
    {
        if (parent.Kind is not (CrdtKind.Root or CrdtKind.Map))
        {
            throw new CrdtException($"only the root and maps hold collections, not {parent.Kind}");
        }

        if (kind == CrdtKind.Root)
        {
            throw new CrdtException("the root cannot be nested");
        }

        // Remembered even for an existing collection: removing its map key may delete it, and a
        // later write in this transaction then creates it again.
        var id = CollectionMeta.DeriveId(parent.Id, kind, name);
        _unborn.TryAdd(id, (parent, name.ToArray()));

        return new CollectionRef(id, kind);
    }

    /// <summary>A new, empty top-level collection with a fresh unique name (upstream's js_crdt_*_new).</summary>
    public CollectionRef Create(CrdtKind kind)
    {
        // 16-byte name: the HLC time and the first 8 bytes of the executor key.
        Span<byte> name = stackalloc byte[16];
        BinaryPrimitives.WriteUInt64BigEndian(name, _clock.Now().Time);
        _executor.AsSpan()[..8].CopyTo(name[8..]);
        var reference = Child(CollectionRef.Root, name, kind);
        ForWrite(reference, kind);
        return reference;
    }

    /// <summary>
    /// The top-level collection of kind at exactly <paramref name="id"/> (upstream's *_new_with_id):
    /// created if missing, the existing one otherwise, so every replica using the id shares it.
    /// The id must not be zero, nor the id of a collection of another kind.
    /// </summary>
    public CollectionRef CreateWithId(CrdtKind kind, Hash id)
    {
        if (kind == CrdtKind.Root)
        {
            throw new CrdtException("the root cannot be created");
        }

        Span<byte> name = stackalloc byte[33];
        name[0] = CollectionMeta.PinnedIdMarker;
        id.AsSpan().CopyTo(name[1..]);
        if (LoadMeta(CollectionMeta.DeriveId(default, kind, name)) is { } existing && existing.Kind != kind)
        {
            throw new CrdtException($"collection {id} exists as a {existing.Kind}, not a {kind}");
        }

        var reference = Child(CollectionRef.Root, name, kind);
        ForWrite(reference, kind);
        return reference;
    }

    /// <summary>True if the collection exists (was ever written or created).</summary>
    public bool Exists(CollectionRef collection) =>
        collection.Kind == CrdtKind.Root || LoadMeta(collection.Id) is { } meta && meta.Kind == collection.Kind;

    /// <summary>The collection for a write, creating it and its unborn ancestors as needed.</summary>
    private CollectionMeta ForWrite(CollectionRef collection, CrdtKind expected)
    {
        if (collection.Kind != expected)
        {
            throw new CrdtException($"{collection} is not a {expected}");
        }

        if (collection.Kind == CrdtKind.Root)
        {
            return Root();
        }

        if (LoadMeta(collection.Id) is { } meta)
        {
            return meta.Kind == expected ? meta : throw new CrdtException($"{collection} is not a {expected}");
        }

        if (!_unborn.TryGetValue(collection.Id, out var origin))
        {
            throw new CrdtException($"no {expected} {collection.Id} in this context");
        }

        var parent = ForWrite(origin.Parent, origin.Parent.Kind);
        var created = EnsureCollection(parent, expected, origin.Name, out _);
        DeclarationIndex(created);
        return created;
    }

    // ---- map: LWW per key ----

    public byte[]? MapGet(CollectionRef map, ReadOnlySpan<byte> key) =>
        TryResolve(map, CrdtKind.Map) is { } meta && ReadEntry(meta, key) is { IsLive: true } entry ? entry.Value.ToArray() : null;

    public bool MapContains(CollectionRef map, ReadOnlySpan<byte> key) =>
        TryResolve(map, CrdtKind.Map) is { } meta && ReadEntry(meta, key).IsLive;

    /// <summary>Inserts or replaces; returns the previous live value.</summary>
    public byte[]? MapInsert(CollectionRef map, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        var meta = ForWrite(map, CrdtKind.Map);
        var previous = ReadEntry(meta, key);
        LocalPut(meta, key, value, previous);
        return previous.IsLive ? previous.Value.ToArray() : null;
    }

    /// <summary>
    /// Removes a key (a tombstone that beats older concurrent puts) and the collections nested
    /// under it (see CrdtTransaction.Removal.cs); returns the removed value. No-op if the key has
    /// neither a live value nor a nested collection.
    /// </summary>
    public byte[]? MapRemove(CollectionRef map, ReadOnlySpan<byte> key)
    {
        if (TryResolve(map, CrdtKind.Map) is not { } meta)
        {
            return null;
        }

        var previous = ReadEntry(meta, key);
        if (!previous.IsLive && !HasNested(meta, key))
        {
            return null;
        }

        var stamp = LocalRemove(meta, key, previous);
        RemoveNested(meta, key, stamp);
        return previous.IsLive ? previous.Value.ToArray() : null;
    }

    /// <summary>Live keys, O(1).</summary>
    public long MapLength(CollectionRef map) => TryResolve(map, CrdtKind.Map)?.LiveCount ?? 0;

    /// <summary>Live entries in key order (reads the whole map).</summary>
    public IReadOnlyList<KeyValuePair<byte[], byte[]>> MapEntries(CollectionRef map) =>
        TryResolve(map, CrdtKind.Map) is { } meta
            ? [.. ScanEntries(meta).Where(e => e.Value.IsLive).Select(e => new KeyValuePair<byte[], byte[]>(e.Key, e.Value.Value.ToArray()))]
            : [];

    // ---- set: LWW per element ----

    public bool SetContains(CollectionRef set, ReadOnlySpan<byte> element) =>
        TryResolve(set, CrdtKind.Set) is { } meta && ReadEntry(meta, element).IsLive;

    /// <summary>Adds; true if the element was not present.</summary>
    public bool SetInsert(CollectionRef set, ReadOnlySpan<byte> element)
    {
        var meta = ForWrite(set, CrdtKind.Set);
        var previous = ReadEntry(meta, element);
        if (previous.IsLive)
        {
            return false;
        }

        LocalPut(meta, element, [], previous);
        return true;
    }

    /// <summary>Removes; true if the element was present.</summary>
    public bool SetRemove(CollectionRef set, ReadOnlySpan<byte> element)
    {
        if (TryResolve(set, CrdtKind.Set) is not { } meta || ReadEntry(meta, element) is not { IsLive: true } previous)
        {
            return false;
        }

        LocalRemove(meta, element, previous);
        return true;
    }

    public long SetLength(CollectionRef set) => TryResolve(set, CrdtKind.Set)?.LiveCount ?? 0;

    public IReadOnlyList<byte[]> SetElements(CollectionRef set) =>
        TryResolve(set, CrdtKind.Set) is { } meta ? [.. ScanEntries(meta).Where(e => e.Value.IsLive).Select(e => e.Key)] : [];

    /// <summary>Removes every element this replica sees (elements added concurrently elsewhere survive).</summary>
    public void SetClear(CollectionRef set)
    {
        if (TryResolve(set, CrdtKind.Set) is not { } meta)
        {
            return;
        }

        foreach (var (element, entry) in ScanEntries(meta).Where(e => e.Value.IsLive).ToList())
        {
            LocalRemove(meta, element, entry);
        }
    }

    // ---- register: one LWW value ----

    public byte[]? RegisterGet(CollectionRef register) =>
        TryResolve(register, CrdtKind.Register) is { } meta && ReadEntry(meta, []) is { IsLive: true } entry ? entry.Value.ToArray() : null;

    /// <summary>The stamp of the winning write, or null if never written.</summary>
    public HybridTimestamp? RegisterTimestamp(CollectionRef register) =>
        TryResolve(register, CrdtKind.Register) is { } meta && ReadEntry(meta, []) is { Exists: true } entry ? entry.Stamp : null;

    /// <summary>Sets the value, or clears it when <paramref name="value"/> is null.</summary>
    public void RegisterSet(CollectionRef register, byte[]? value)
    {
        var meta = ForWrite(register, CrdtKind.Register);
        var previous = ReadEntry(meta, []);
        if (value is null)
        {
            LocalRemove(meta, [], previous);
        }
        else
        {
            LocalPut(meta, [], value, previous);
        }
    }

    // ---- counter: PN counter, one grow-only slot per executor and sign ----

    public void CounterIncrement(CollectionRef counter, ulong amount = 1) => CounterAdd(counter, amount, negative: false);

    public void CounterDecrement(CollectionRef counter, ulong amount = 1) => CounterAdd(counter, amount, negative: true);

    /// <summary>Sum of the increment slots minus the sum of the decrement slots.</summary>
    public long CounterValue(CollectionRef counter)
    {
        if (TryResolve(counter, CrdtKind.Counter) is not { } meta)
        {
            return 0;
        }

        long total = 0;
        foreach (var (slot, entry) in ScanEntries(meta))
        {
            var value = (long)BinaryPrimitives.ReadUInt64LittleEndian(entry.Value);
            total += slot[^1] == 0 ? value : -value;
        }

        return total;
    }

    /// <summary>How much <paramref name="executor"/> (default: this executor) has incremented.</summary>
    public ulong CounterExecutorCount(CollectionRef counter, PublicKey? executor = null)
    {
        if (TryResolve(counter, CrdtKind.Counter) is not { } meta)
        {
            return 0;
        }

        var entry = ReadEntry(meta, CounterSlot(executor ?? _executor, negative: false));
        return entry.IsLive ? BinaryPrimitives.ReadUInt64LittleEndian(entry.Value) : 0;
    }

    private void CounterAdd(CollectionRef counter, ulong amount, bool negative)
    {
        var meta = ForWrite(counter, CrdtKind.Counter);
        var slot = CounterSlot(_executor, negative);
        var previous = ReadEntry(meta, slot);
        var current = previous.IsLive ? BinaryPrimitives.ReadUInt64LittleEndian(previous.Value) : 0;
        Span<byte> value = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(value, checked(current + amount));
        LocalPut(meta, slot, value, previous);
    }

    private static byte[] CounterSlot(PublicKey executor, bool negative)
    {
        var slot = new byte[33];
        executor.AsSpan().CopyTo(slot);
        slot[32] = negative ? (byte)1 : (byte)0;
        return slot;
    }
}
