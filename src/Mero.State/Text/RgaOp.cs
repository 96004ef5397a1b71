namespace Mero.State.Text;

/// <summary>A text change as shipped between replicas: an insert run or a set of deleted ranges.</summary>
public abstract class RgaOp
{
    private protected RgaOp()
    {
    }
}

/// <summary>
/// Inserts <see cref="Text"/> as the characters <see cref="Id"/>.Seq .. Seq+Length-1 of its replica,
/// between <see cref="OriginLeft"/> and <see cref="OriginRight"/> (null = document start / end):
/// the neighbours the author saw, tombstones included on the right.
/// </summary>
public sealed class RgaInsertOp : RgaOp
{
    // Replicas are indexes into a key table shared with the creating document (or the decoded
    // op), so a typed character allocates about 70 bytes instead of three 32-byte keys.
    private readonly PublicKey[] _keys;
    private readonly int _replica;
    private readonly int _seq;
    private readonly int _leftKey;
    private readonly int _leftSeq;
    private readonly int _rightKey;
    private readonly int _rightSeq;

    /// <summary>Key indexes refer to keys; -1 for an absent origin.</summary>
    internal RgaInsertOp(PublicKey[] keys, int replica, int seq, ulong time, int leftKey, int leftSeq, int rightKey, int rightSeq, string text, int length)
    {
        Time = time;
        _keys = keys;
        _replica = replica;
        _seq = seq;
        _leftKey = leftKey;
        _leftSeq = leftSeq;
        _rightKey = rightKey;
        _rightSeq = rightSeq;
        Text = text;
        Length = length;
    }

    /// <summary>Builds an insert op from parts (for tests and tools); the text must be valid UTF-16.</summary>
    public static RgaInsertOp Create(RgaCharId id, RgaCharId? originLeft, RgaCharId? originRight, string text, ulong time = 0)
    {
        ArgumentNullException.ThrowIfNull(text);
        var length = RgaCodePoints.Count(text);
        if (length == 0)
        {
            throw new ArgumentException("an insert needs at least one character", nameof(text));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(id.Seq);
        if ((long)id.Seq + length > int.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(id), "the sequence numbers would overflow");
        }

        PublicKey[] keys = [id.Replica, originLeft?.Replica ?? default, originRight?.Replica ?? default];
        return new(
            keys,
            0,
            id.Seq,
            time,
            originLeft is null ? -1 : 1,
            originLeft?.Seq ?? 0,
            originRight is null ? -1 : 2,
            originRight?.Seq ?? 0,
            text,
            length);
    }

    public RgaCharId Id => new(_keys[_replica], _seq);

    /// <summary>HLC time of the first char; char i has Time + i.</summary>
    public ulong Time { get; }

    public RgaCharId? OriginLeft => _leftKey < 0 ? null : new RgaCharId(_keys[_leftKey], _leftSeq);

    public RgaCharId? OriginRight => _rightKey < 0 ? null : new RgaCharId(_keys[_rightKey], _rightSeq);

    public string Text { get; }

    /// <summary>Number of code points in <see cref="Text"/>.</summary>
    public int Length { get; }

    public override string ToString() => $"insert {Id}+{Length}@{Time} after {OriginLeft?.ToString() ?? "start"} before {OriginRight?.ToString() ?? "end"}";
}

/// <summary>Marks characters as deleted (tombstones). Deleting a deleted character is a no-op.</summary>
public sealed class RgaDeleteOp : RgaOp
{
    internal RgaDeleteOp(RgaCharRange[] ranges) => Ranges = ranges;

    public static RgaDeleteOp Create(IEnumerable<RgaCharRange> ranges)
    {
        var array = ranges.ToArray();
        if (array.Length == 0)
        {
            throw new ArgumentException("a delete needs at least one range", nameof(ranges));
        }

        foreach (var r in array)
        {
            if (r.Seq < 0 || r.Length < 1 || (long)r.Seq + r.Length > int.MaxValue)
            {
                throw new ArgumentOutOfRangeException(nameof(ranges), $"invalid range {r}");
            }
        }

        return new(array);
    }

    public IReadOnlyList<RgaCharRange> Ranges { get; }

    public override string ToString() => $"delete {string.Join(", ", Ranges)}";
}

/// <summary>What <see cref="RgaText.Apply"/> did with an op.</summary>
public enum RgaApplyResult
{
    /// <summary>The op changed the document.</summary>
    Applied,

    /// <summary>Everything in the op was already there: a duplicate, or a delete of deleted characters.</summary>
    AlreadyApplied,

    /// <summary>
    /// The op refers to characters this replica has not seen (an origin, a deleted character, or
    /// an earlier seq of the inserting replica). Nothing changed; apply it again after the others.
    /// </summary>
    MissingDependency,
}

/// <summary>Bytes that are not a valid RGA op or state encoding.</summary>
public sealed class RgaFormatException(string message) : FormatException(message);
