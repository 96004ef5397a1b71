using System.Buffers.Binary;
using Mero.Primitives.Clock;

namespace Mero.State.Crdt;

/// <summary>One step of a collection's path from the root: its kind and its name under its parent.</summary>
public sealed record CrdtPathStep(CrdtKind Kind, byte[] Name);

/// <summary>
/// One child of a collection as tree comparison sees it: a nested collection (key = its 32-byte
/// id) or an entry (key = its item key), with the hash it contributes to the parent's sum.
/// </summary>
public sealed record CrdtTreeChild(bool IsCollection, CrdtKind Kind, byte[] Key, Hash Hash);

/// <summary>
/// A collection node of the entity tree: its id, kind, hash (what its parent sums), its path from
/// the root (so a replica that lacks it can create it) and its children.
/// </summary>
public sealed record CrdtTreeNode(Hash Id, CrdtKind Kind, Hash Hash, IReadOnlyList<CrdtPathStep> Path, IReadOnlyList<CrdtTreeChild> Children);

/// <summary>
/// A leaf of the entity tree, self-contained for a state-based merge on another replica: the
/// context, the path of its collection, the item key and the stored record (u64 LE time, 32-byte
/// writer key, u8 flags, value), plus a map key's removal watermark. A leaf without an item key only says its (empty) collection exists.
/// </summary>
public sealed record CrdtLeaf(ContextId Context, IReadOnlyList<CrdtPathStep> Path, byte[]? ItemKey, byte[]? Record)
{
    /// <summary>
    /// For a map entry: the newest removal of its key (what was nested under it up to that stamp is
    /// gone). Removal watermarks are outside the hash, so they ride along with the key's leaf.
    /// </summary>
    public HybridTimestamp? Removed { get; init; }

    /// <summary>Longest item key a leaf may carry.</summary>
    public const int MaxItemKeyBytes = 16 * 1024;

    /// <summary>Longest collection name in a leaf's path.</summary>
    public const int MaxNameBytes = 16 * 1024;

    /// <summary>Largest record (header and value) a leaf may carry.</summary>
    public const int MaxRecordBytes = 4 * 1024 * 1024;

    /// <summary>Header of a record: u64 time, writer key, flags.</summary>
    public const int RecordHeaderBytes = CrdtEntry.HeaderSize;

    /// <summary>True for a text's leaf: its whole RGA state (canonical encoding) under the empty key.</summary>
    public bool IsText => Path.Count > 0 && Path[^1].Kind == CrdtKind.Text;

    /// <summary>The writer of the leaf's winning write (null for a collection-only leaf, a text or a short record).</summary>
    public PublicKey? Author => !IsText && Record is { Length: >= RecordHeaderBytes } r ? PublicKey.FromBytes(r.AsSpan(8, 32)) : null;

    /// <summary>
    /// Everyone whose writes the leaf carries: the entry's writer and its key's remover, or every
    /// replica with characters in a text. An authorization gate checks them all. A text state
    /// that does not decode names nobody (the merge refuses it).
    /// </summary>
    public IReadOnlyList<PublicKey> Writers()
    {
        if (IsText)
        {
            try
            {
                return Record is null ? [] : Mero.State.Text.RgaText.DecodeState(Record, default).Writers();
            }
            catch (Mero.State.Text.RgaFormatException)
            {
                return [];
            }
        }

        var writers = new List<PublicKey>(2);
        if (Author is { } author)
        {
            writers.Add(author);
        }

        if (Removed is { } removed)
        {
            writers.Add(removed.Node);
        }

        return writers;
    }

    /// <summary>The id of the collection the leaf belongs to (derived from the path, as every replica does).</summary>
    public Hash CollectionId()
    {
        Hash id = default;
        foreach (var step in Path)
        {
            id = CollectionMeta.DeriveId(id, step.Kind, step.Name);
        }

        return id;
    }

    /// <summary>A leaf record as a writer with <paramref name="stamp"/> stores it.</summary>
    public static byte[] EncodeRecord(HybridTimestamp stamp, bool tombstone, ReadOnlySpan<byte> value) =>
        CrdtEntry.Create(stamp, tombstone, value).Record;
}

/// <summary>Shape checks of a leaf record against the kind of its collection.</summary>
internal static class CrdtTreeLimits
{
    /// <summary>Throws <see cref="CrdtException"/> for a malformed record; without <paramref name="limitSize"/> any length passes (stored state is not bound by the leaf limit).</summary>
    public static void CheckRecord(CrdtKind kind, ReadOnlySpan<byte> itemKey, ReadOnlySpan<byte> record, bool limitSize = true)
    {
        if (record.Length < CrdtEntry.HeaderSize)
        {
            throw new CrdtException($"a leaf record of {record.Length} bytes is shorter than its {CrdtEntry.HeaderSize}-byte header");
        }

        if (limitSize && record.Length > CrdtLeaf.MaxRecordBytes)
        {
            throw new CrdtException($"a leaf record of {record.Length} bytes exceeds the limit of {CrdtLeaf.MaxRecordBytes}");
        }

        if (record[40] > 1)
        {
            throw new CrdtException($"a leaf record has unknown flags {record[40]}");
        }

        if (BinaryPrimitives.ReadUInt64LittleEndian(record) == 0)
        {
            throw new CrdtException("a leaf record has no timestamp");
        }

        var tombstone = record[40] == 1;
        var value = record[CrdtEntry.HeaderSize..];
        switch (kind)
        {
            case CrdtKind.Counter when itemKey.Length != 33 || itemKey[32] > 1 || tombstone || value.Length != 8:
                throw new CrdtException("a counter leaf must be a live 8-byte slot under a 33-byte executor key");
            case CrdtKind.Vector when itemKey.Length != 40 || BinaryPrimitives.ReadUInt64BigEndian(itemKey) == 0:
                throw new CrdtException("a vector leaf must be keyed by a 40-byte push stamp");
            case CrdtKind.Register when itemKey.Length != 0:
                throw new CrdtException("a register leaf has no item key");
            default:
                break;
        }
    }
}
