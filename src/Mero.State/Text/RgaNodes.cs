namespace Mero.State.Text;

/// <summary>A node of the document tree; widths of a node are kept in its parent's arrays.</summary>
internal abstract class RgaNode
{
    public RgaInner? Parent;

    /// <summary>Index of this node in Parent.Children.</summary>
    public int Slot;
}

/// <summary>A leaf: items in document order, linked to its neighbours for scans.</summary>
internal sealed class RgaLeaf(int id) : RgaNode
{
    public const int Capacity = 64;

    /// <summary>Index in the document's leaf table; the per-char index stores these, not references.</summary>
    public readonly int Id = id;

    public readonly RgaItem[] Items = new RgaItem[Capacity];
    public int Count;
    public RgaLeaf? Next;
    public RgaLeaf? Prev;
}

/// <summary>An inner node: children with their visible and total (tombstones included) char counts.</summary>
internal sealed class RgaInner : RgaNode
{
    public const int Capacity = 32;

    public readonly RgaNode[] Children = new RgaNode[Capacity];
    public readonly int[] Visible = new int[Capacity];
    public readonly int[] Total = new int[Capacity];
    public int Count;
}

/// <summary>
/// What this document knows of one replica: how many of its chars it has (they arrive in seq
/// order) and, per char, its code point and the id of the leaf holding it (the id → position
/// index). Ints rather than references keep it at 4 bytes a char and out of the GC's way.
/// </summary>
internal sealed class RgaReplicaLog(PublicKey key)
{
    public readonly PublicKey Key = key;
    public readonly RgaContent Content = new();
    public int Count;
    public int[] Leaves = [];

    /// <summary>Per char: its HLC time, the first part of its id's order (see RgaCharId).</summary>
    public ulong[] Times = [];

    public void EnsureCapacity(int count)
    {
        if (Leaves.Length >= count)
        {
            return;
        }

        var size = Math.Max(count, Math.Max(16, Leaves.Length * 2));
        Array.Resize(ref Leaves, size);
        Array.Resize(ref Times, size);
        Content.Resize(size);
    }
}
