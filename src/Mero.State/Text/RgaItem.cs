using System.Runtime.InteropServices;

namespace Mero.State.Text;

/// <summary>
/// A run of characters Seq .. Seq+Length-1 of one replica that sit together in the document and
/// share deletion state. The first char has origins (Left, Right); each following char has the
/// previous char as left origin and the same right origin, so a run is exactly what one insert op
/// (or a replica typing forward) produces. Replicas are interned indexes, local to this document.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal struct RgaItem
{
    public const int None = -1;

    public int Replica;
    public int Seq;
    public int Length;
    public bool Deleted;

    /// <summary>Left origin replica, or <see cref="None"/> for the document start.</summary>
    public int LeftReplica;
    public int LeftSeq;

    /// <summary>Right origin replica, or <see cref="None"/> for the document end.</summary>
    public int RightReplica;
    public int RightSeq;

    public readonly int Visible => Deleted ? 0 : Length;

    public readonly int End => Seq + Length;

    public readonly bool Contains(int replica, int seq) => Replica == replica && seq >= Seq && seq < Seq + Length;

    public readonly bool StartsWith(int replica, int seq) => Replica == replica && Seq == seq;

    /// <summary>True when next continues this run char by char, so the two can be one item.</summary>
    public readonly bool CanAppend(in RgaItem next) =>
        next.Replica == Replica && next.Seq == Seq + Length && next.Deleted == Deleted
        && next.LeftReplica == Replica && next.LeftSeq == Seq + Length - 1
        && next.RightReplica == RightReplica && next.RightSeq == RightSeq;

    /// <summary>The part from offset on: its left origin is the char before it in this run.</summary>
    public readonly RgaItem Tail(int offset) => new()
    {
        Replica = Replica,
        Seq = Seq + offset,
        Length = Length - offset,
        Deleted = Deleted,
        LeftReplica = Replica,
        LeftSeq = Seq + offset - 1,
        RightReplica = RightReplica,
        RightSeq = RightSeq,
    };
}
