namespace Mero.State.Text;

/// <summary>Merging remote ops: YATA integration with the FugueMax (YjsMod) rules.</summary>
public sealed partial class RgaText
{
    /// <summary>
    /// Applies a remote (or own, replayed) op. Idempotent and commutative with concurrent ops.
    /// An op whose dependencies are missing changes nothing and returns
    /// <see cref="RgaApplyResult.MissingDependency"/>: the caller keeps it and retries later
    /// (causal delivery, as Mero.Dag provides, never hits this).
    /// </summary>
    public RgaApplyResult Apply(RgaOp op) => op switch
    {
        RgaInsertOp insert => ApplyInsert(insert),
        RgaDeleteOp delete => ApplyDelete(delete),
        null => throw new ArgumentNullException(nameof(op)),
        _ => throw new ArgumentException($"unknown op type {op.GetType().Name}", nameof(op)),
    };

    private bool Knows(RgaCharId? id, out int replica)
    {
        replica = RgaItem.None;
        if (id is not { } c)
        {
            return true;
        }

        return _replicaIndex.TryGetValue(c.Replica, out replica) && c.Seq >= 0 && c.Seq < _logs[replica].Count;
    }

    private RgaApplyResult ApplyInsert(RgaInsertOp op)
    {
        var known = KnownChars(op.Id.Replica);
        var seq = op.Id.Seq;
        if (seq + op.Length <= known)
        {
            return RgaApplyResult.AlreadyApplied;
        }

        if (seq > known || !Knows(op.OriginLeft, out var leftReplica) || !Knows(op.OriginRight, out var rightReplica))
        {
            return RgaApplyResult.MissingDependency;
        }

        var replica = Intern(op.Id.Replica);
        var leftSeq = op.OriginLeft?.Seq ?? 0;
        var rightSeq = op.OriginRight?.Seq ?? 0;

        // Part of the run is here already (we merged a longer run): insert the rest after it.
        var skip = known - seq;
        if (skip > 0)
        {
            leftReplica = replica;
            leftSeq = known - 1;
            seq = known;
        }

        var n = op.Length - skip;
        var log = _logs[replica];
        log.EnsureCapacity(seq + n);
        log.Content.Write(seq, op.Text, op.Length, skip);
        for (var i = 0; i < n; i++)
        {
            log.Times[seq + i] = op.Time + (ulong)(skip + i);
        }

        _maxTime = Math.Max(_maxTime, op.Time + (ulong)op.Length - 1);

        var item = new RgaItem
        {
            Replica = replica,
            Seq = seq,
            Length = n,
            LeftReplica = leftReplica,
            LeftSeq = leftSeq,
            RightReplica = rightReplica,
            RightSeq = rightSeq,
        };
        DigestInserted(item, 0, n);
        var leaf = Integrate(item, out var at);
        leaf = InsertItem(leaf, at, item, out at);
        MergeAround(leaf, at);
        log.Count = seq + n;
        return RgaApplyResult.Applied;
    }

    /// <summary>Finds where a new item goes (YjsMod / FugueMax); returns the item to insert before.</summary>
    private RgaLeaf Integrate(in RgaItem item, out int at)
    {
        // Make the origins item boundaries: left ends an item, right starts one.
        if (item.RightReplica != RgaItem.None)
        {
            var l = FindChar(item.RightReplica, item.RightSeq, out var i, out var off);
            if (off > 0)
            {
                SplitItem(l, i, off, out _);
            }
        }

        RgaLeaf leaf;
        if (item.LeftReplica == RgaItem.None)
        {
            leaf = _first;
            at = 0;
        }
        else
        {
            leaf = FindChar(item.LeftReplica, item.LeftSeq, out at, out var off);
            if (off < leaf.Items[at].Length - 1)
            {
                SplitItem(leaf, at, off + 1, out _);
                leaf = FindChar(item.LeftReplica, item.LeftSeq, out at, out _);
            }

            leaf = NextItem(leaf, ref at);
        }

        // Nothing concurrent between the origins: the usual case.
        if (at == leaf.Count || IsRight(leaf.Items[at], item))
        {
            return leaf;
        }

        var leftPos = item.LeftReplica == RgaItem.None ? -1 : RawPosition(item.LeftReplica, item.LeftSeq);
        var rightPos = item.RightReplica == RgaItem.None ? _total : RawPosition(item.RightReplica, item.RightSeq);
        var newKey = _logs[item.Replica].Key;
        var newTime = _logs[item.Replica].Times[item.Seq];

        var scanning = false;
        var destLeaf = leaf;
        var destAt = at;
        while (true)
        {
            if (!scanning)
            {
                destLeaf = leaf;
                destAt = at;
            }

            if (at == leaf.Count)
            {
                break;
            }

            ref readonly var other = ref leaf.Items[at];
            if (IsRight(other, item))
            {
                break;
            }

            var sameLeft = other.LeftReplica == item.LeftReplica && (item.LeftReplica == RgaItem.None || other.LeftSeq == item.LeftSeq);
            if (!sameLeft)
            {
                var otherLeftPos = other.LeftReplica == RgaItem.None ? -1 : RawPosition(other.LeftReplica, other.LeftSeq);
                if (otherLeftPos < leftPos)
                {
                    break;
                }

                // Otherwise other's left origin lies between ours and it: other is inside a
                // subtree we skip over.
            }
            else if (other.RightReplica == item.RightReplica && (item.RightReplica == RgaItem.None || other.RightSeq == item.RightSeq))
            {
                // Same origins: a true conflict, ordered by the ids: HLC time, then replica key, then seq.
                var byTime = newTime.CompareTo(_logs[other.Replica].Times[other.Seq]);
                var byKey = byTime != 0 ? byTime : newKey.CompareTo(_logs[other.Replica].Key);
                if (byKey < 0 || (byKey == 0 && item.Seq < other.Seq))
                {
                    break;
                }

                scanning = false;
            }
            else
            {
                var otherRightPos = other.RightReplica == RgaItem.None ? _total : RawPosition(other.RightReplica, other.RightSeq);
                scanning = otherRightPos < rightPos;
            }

            leaf = NextItem(leaf, ref at);
        }

        at = destAt;
        return destLeaf;
    }

    private static bool IsRight(in RgaItem candidate, in RgaItem item) =>
        item.RightReplica != RgaItem.None && candidate.StartsWith(item.RightReplica, item.RightSeq);

    private RgaApplyResult ApplyDelete(RgaDeleteOp op)
    {
        foreach (var range in op.Ranges)
        {
            if (range.Length < 1 || range.Seq < 0 || (long)range.Seq + range.Length > KnownChars(range.Replica))
            {
                return RgaApplyResult.MissingDependency;
            }
        }

        var changed = false;
        foreach (var range in op.Ranges)
        {
            var replica = _replicaIndex[range.Replica];
            var seq = range.Seq;
            var end = range.Seq + range.Length;
            while (seq < end)
            {
                var leaf = FindChar(replica, seq, out var at, out var offset);
                var item = leaf.Items[at];
                var take = Math.Min(item.End, end) - seq;
                if (!item.Deleted)
                {
                    MarkDeleted(leaf, at, offset, take, out _);
                    changed = true;
                }

                seq += take;
            }
        }

        return changed ? RgaApplyResult.Applied : RgaApplyResult.AlreadyApplied;
    }
}
