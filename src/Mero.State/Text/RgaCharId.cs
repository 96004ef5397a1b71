namespace Mero.State.Text;

/// <summary>
/// The address of one inserted character: the replica that typed it and its position in that
/// replica's own insert sequence (0, 1, 2... with no gaps), like Yjs (client, clock). Each char
/// also has an HLC time (<see cref="RgaText.TimeOf"/>), unique per replica and greater than every
/// time its document had seen; concurrent inserts are ordered by (time, replica key), so a char's
/// id in the sense is (HLC time, replica) and (replica, seq) is its compact address.
/// </summary>
public readonly record struct RgaCharId(PublicKey Replica, int Seq) : IComparable<RgaCharId>
{
    /// <summary>Replica key bytes, then seq: the order used to break ties between concurrent inserts.</summary>
    public int CompareTo(RgaCharId other)
    {
        var byReplica = Replica.CompareTo(other.Replica);
        return byReplica != 0 ? byReplica : Seq.CompareTo(other.Seq);
    }

    public override string ToString() => $"{Replica}:{Seq}";
}

/// <summary>Characters Seq .. Seq+Length-1 of one replica.</summary>
public readonly record struct RgaCharRange(PublicKey Replica, int Seq, int Length)
{
    public override string ToString() => $"{Replica}:{Seq}+{Length}";
}
