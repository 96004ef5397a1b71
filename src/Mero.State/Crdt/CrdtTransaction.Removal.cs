using System.Buffers.Binary;
using Mero.Primitives.Clock;
using Mero.Store;

namespace Mero.State.Crdt;

/// <summary>
/// Removing a map key removes the collections nested under that key (any kind, any depth).
/// A remove at stamp T leaves a watermark (map, key) → T; every entry of a nested collection with
/// a stamp ≤ T is deleted outright (not tombstoned), a collection left empty is deleted with its
/// metadata, and a later-arriving action into it with a stamp ≤ T is dropped. Entries written with
/// a greater stamp survive (a concurrent newer write wins). Text is the exception: its characters
/// carry no per-character stamps in the stored state, so a text under a removed key is removed for
/// good and later ops for it are dropped. The watermark is outside the Merkle hash (like the
/// pending text ops): it is a function of the removes applied, so the root equals that of a
/// replica that never had the nested collection.
/// </summary>
public sealed partial class CrdtTransaction
{
    internal const byte WatermarkTag = (byte)'w';
    internal const byte ChildTag = (byte)'k';

    // Effective watermark (newest removal of this collection or an ancestor) per collection id; reset on every removal.
    private readonly Dictionary<Hash, HybridTimestamp?> _removedAt = [];

    /// <summary>Records a removal of key under map and drops what it removes from the nested collections.</summary>
    private void RemoveNested(CollectionMeta map, ReadOnlySpan<byte> key, HybridTimestamp stamp)
    {
        var watermarkKey = PrefixedKey(WatermarkTag, map.Id, key);
        if (ReadStamp(watermarkKey) is { } current && current >= stamp)
        {
            return;
        }

        var record = new byte[40];
        BinaryPrimitives.WriteUInt64LittleEndian(record, stamp.Time);
        stamp.Node.AsSpan().CopyTo(record.AsSpan(8));
        _overlay[watermarkKey] = record;
        _removedAt.Clear();
        for (var kind = CrdtKind.Map; kind <= CrdtKind.Text; kind++)
        {
            if (LoadMeta(CollectionMeta.DeriveId(map.Id, kind, key)) is { } child)
            {
                Purge(child, stamp);
            }
        }
    }

    /// <summary>True if map holds a nested collection named key (what a local remove of the key also removes).</summary>
    private bool HasNested(CollectionMeta map, ReadOnlySpan<byte> key)
    {
        for (var kind = CrdtKind.Map; kind <= CrdtKind.Text; kind++)
        {
            if (LoadMeta(CollectionMeta.DeriveId(map.Id, kind, key)) is not null)
            {
                return true;
            }
        }

        return false;
    }

    private void Purge(CollectionMeta meta, HybridTimestamp stamp)
    {
        foreach (var childId in ChildIds(meta))
        {
            if (LoadMeta(childId) is { } child)
            {
                Purge(child, stamp);
            }
        }

        if (meta.Kind == CrdtKind.Text)
        {
            DropText(meta);
        }
        else
        {
            Span<byte> hash = stackalloc byte[32];
            foreach (var (itemKey, entry) in ScanEntries(meta))
            {
                if (entry.Stamp > stamp)
                {
                    continue;
                }

                CrdtEntry.LeafHash(itemKey, entry.Record, hash);
                meta.ChildSum.Subtract(hash);
                meta.LiveCount -= entry.IsLive ? 1 : 0;
                _overlay[EntryKey(meta.Id, itemKey)] = null;
                if (meta.Kind == CrdtKind.Vector && entry.IsLive)
                {
                    OnVectorLivenessChanged(meta, itemKey, false);
                }
            }
        }

        meta.Dirty = true;
        if (meta.ChildSum.IsZero)
        {
            DeleteMeta(meta);
        }
    }

    /// <summary>Deletes an empty collection: its metadata goes and its hash leaves the parent's sum.</summary>
    private void DeleteMeta(CollectionMeta meta)
    {
        if (LoadMeta(meta.ParentId) is { } parent)
        {
            if (meta.CommittedHash is { } hash)
            {
                parent.ChildSum.Subtract(hash);
                parent.Dirty = true;
            }

            _overlay[PrefixedKey(ChildTag, parent.Id, meta.Id.AsSpan())] = null;
        }

        meta.CommittedHash = null;
        meta.Dirty = false;
        _overlay[MetaKey(meta.Id)] = null;
        _metas.Remove(meta.Id);
        _vectorIndexes.Remove(meta.Id);
        _texts.Remove(meta.Id);
    }

    /// <summary>The newest removal covering this collection (its own key or an ancestor's), or null.</summary>
    private HybridTimestamp? RemovedAt(CollectionMeta meta)
    {
        if (meta.IsRoot)
        {
            return null;
        }

        if (_removedAt.TryGetValue(meta.Id, out var cached))
        {
            return cached;
        }

        HybridTimestamp? result = null;
        if (LoadMeta(meta.ParentId) is { } parent)
        {
            result = RemovedAt(parent);
            if (parent.Kind == CrdtKind.Map && ReadStamp(PrefixedKey(WatermarkTag, parent.Id, meta.Name)) is { } own && (result is null || own > result.Value))
            {
                result = own;
            }
        }

        _removedAt[meta.Id] = result;
        return result;
    }

    private HybridTimestamp? ReadStamp(byte[] key)
    {
        var bytes = _overlay.TryGetValue(key, out var pending) ? pending : _store.Get(Column.State, key);
        if (bytes is null)
        {
            return null;
        }

        return bytes.Length == 40
            ? new HybridTimestamp(BinaryPrimitives.ReadUInt64LittleEndian(bytes), PublicKey.FromBytes(bytes.AsSpan(8)))
            : throw new CrdtException($"corrupt removal record of {bytes.Length} bytes");
    }

    /// <summary>Ids of the collections created under meta (an index outside the hash).</summary>
    private List<Hash> ChildIds(CollectionMeta meta)
    {
        var prefix = PrefixedKey(ChildTag, meta.Id, []);
        var ids = new SortedSet<byte[]>(ByteOrder.Instance);
        foreach (var (key, _) in _store.Scan(Column.State, prefix))
        {
            ids.Add(key[prefix.Length..]);
        }

        foreach (var (key, value) in _overlay)
        {
            if (key.AsSpan().StartsWith(prefix))
            {
                if (value is null)
                {
                    ids.Remove(key[prefix.Length..]);
                }
                else
                {
                    ids.Add(key[prefix.Length..]);
                }
            }
        }

        return [.. ids.Select(id => Hash.FromBytes(id))];
    }

    private byte[] PrefixedKey(byte tag, Hash collection, ReadOnlySpan<byte> suffix)
    {
        var key = new byte[32 + 1 + 32 + suffix.Length];
        _context.AsSpan().CopyTo(key);
        key[32] = tag;
        collection.AsSpan().CopyTo(key.AsSpan(33));
        suffix.CopyTo(key.AsSpan(65));
        return key;
    }
}
