using System.Buffers;

namespace Mero.State.Text;

/// <summary>
/// Collaborative plain text as a sequence CRDT (YATA family, FugueMax/YjsMod ordering; see
/// docs/crdt-text.md). Every inserted character has a unique id (replica, seq); deletes leave
/// tombstones. Local edits return the op to ship; <see cref="Apply"/> merges remote ops
/// idempotently and in any causal order. Indexes and lengths count Unicode code points.
/// Not thread-safe; one instance per (document, replica).
/// </summary>
public sealed partial class RgaText
{
    private readonly List<RgaReplicaLog> _logs = [];
    private readonly Dictionary<PublicKey, int> _replicaIndex = [];
    private readonly int _local;

    // Reused by Delete: the op gets an exact-size copy.
    private readonly List<RgaCharRange> _scratchRanges = [];

    // Interned replica keys by index, shared with the ops this document creates.
    private PublicKey[] _keyTable = [];

    private ulong _maxTime;

    public RgaText(PublicKey replica)
    {
        _leafTable.Add(null!); // Leaf id 0 means "no leaf" in the per-char index.
        _first = _last = NewLeaf();
        _root = _first;
        _local = Intern(replica);
    }

    /// <summary>The replica whose edits this instance stamps.</summary>
    public PublicKey Replica => _logs[_local].Key;

    /// <summary>Visible code points.</summary>
    public int Length => _visible;

    /// <summary>Characters ever inserted, tombstones included.</summary>
    public int TotalLength => _total;

    /// <summary>How many chars of replica this document has: its next expected seq.</summary>
    public int KnownChars(PublicKey replica) => _replicaIndex.TryGetValue(replica, out var r) ? _logs[r].Count : 0;

    /// <summary>
    /// Latest char time a state or op may carry (HLC times are far below it). Decoders refuse
    /// later ones, so a hostile peer cannot push a document to where local inserts would overflow.
    /// </summary>
    public const ulong MaxCharTime = ulong.MaxValue >> 1;

    /// <summary>The newest char time this document has seen; local inserts get later times.</summary>
    public ulong MaxTime => _maxTime;

    /// <summary>The HLC time of char (replica, seq).</summary>
    public ulong TimeOf(RgaCharId id) =>
        _replicaIndex.TryGetValue(id.Replica, out var r) && id.Seq >= 0 && id.Seq < _logs[r].Count
            ? _logs[r].Times[id.Seq]
            : throw new ArgumentOutOfRangeException(nameof(id), $"unknown char {id}");

    /// <summary>Inserts text so that its first code point ends up at index. Returns the op to ship.</summary>
    public RgaInsertOp Insert(int index, string text) => Insert(index, text, 0);

    /// <summary>
    /// Inserts text stamped with an HLC time: its chars get times max(time, newest seen + 1) + i,
    /// so ids stay unique and later than everything this replica saw (a Lamport bump when the
    /// document holds newer times than the clock gave).
    /// </summary>
    public RgaInsertOp Insert(int index, string text, ulong time)
    {
        ArgumentNullException.ThrowIfNull(text);
        if ((uint)index > (uint)_visible)
        {
            throw new ArgumentOutOfRangeException(nameof(index), $"index {index} is outside 0..{_visible}");
        }

        var n = RgaCodePoints.Count(text);
        if (n == 0)
        {
            throw new ArgumentException("cannot insert empty text", nameof(text));
        }

        var log = _logs[_local];
        var seq = log.Count;
        if ((long)seq + n > int.MaxValue)
        {
            throw new InvalidOperationException("this replica has used up its sequence numbers");
        }

        log.EnsureCapacity(seq + n);
        log.Content.Write(seq, text, n);
        var first = Math.Max(time, _maxTime + 1);
        if (first > ulong.MaxValue - (ulong)n)
        {
            throw new InvalidOperationException("char times would overflow");
        }

        for (var i = 0; i < n; i++)
        {
            log.Times[seq + i] = first + (ulong)i;
        }

        _maxTime = first + (ulong)n - 1;

        RgaLeaf leaf;
        int at;
        int leftReplica = RgaItem.None, leftSeq = 0, rightReplica = RgaItem.None, rightSeq = 0;
        if (index == 0)
        {
            leaf = _first;
            at = 0;
            if (leaf.Count > 0)
            {
                rightReplica = leaf.Items[0].Replica;
                rightSeq = leaf.Items[0].Seq;
            }
        }
        else
        {
            leaf = LeafAtVisible(index - 1, out var start);
            var i = ItemAtVisible(leaf, index - 1 - start, out var offset);
            ref var item = ref leaf.Items[i];
            leftReplica = item.Replica;
            leftSeq = item.Seq + offset;
            if (offset < item.Length - 1)
            {
                rightReplica = item.Replica;
                rightSeq = leftSeq + 1;
                leaf = SplitItem(leaf, i, offset + 1, out at);
            }
            else
            {
                at = i;
                var next = NextItem(leaf, ref at);
                if (at < next.Count)
                {
                    rightReplica = next.Items[at].Replica;
                    rightSeq = next.Items[at].Seq;
                }

                // Typing forward at the end of our own last run: grow it in place.
                if (item.Replica == _local && item.End == seq && !item.Deleted
                    && item.RightReplica == rightReplica && (rightReplica == RgaItem.None || item.RightSeq == rightSeq))
                {
                    item.Length += n;
                    DigestInserted(item, item.Length - n, n);
                    Array.Fill(log.Leaves, leaf.Id, seq, n);
                    log.Count += n;
                    AdjustUp(leaf, n, n);
                    return NewInsertOp(seq, first, n, text, leftReplica, leftSeq, rightReplica, rightSeq);
                }

                at = i + 1;
            }
        }

        var fresh = new RgaItem
        {
            Replica = _local,
            Seq = seq,
            Length = n,
            LeftReplica = leftReplica,
            LeftSeq = leftSeq,
            RightReplica = rightReplica,
            RightSeq = rightSeq,
        };
        DigestInserted(fresh, 0, n);
        InsertItem(leaf, at, fresh, out _);
        log.Count += n;
        return NewInsertOp(seq, first, n, text, leftReplica, leftSeq, rightReplica, rightSeq);
    }

    /// <summary>Deletes the code point at index (upstream's js_crdt_rga_delete).</summary>
    public RgaDeleteOp Delete(int index) => Delete(index, 1);

    /// <summary>Deletes count code points from index. Returns the op to ship.</summary>
    public RgaDeleteOp Delete(int index, int count)
    {
        if (index < 0 || count < 1 || (long)index + count > _visible)
        {
            throw new ArgumentOutOfRangeException(nameof(count), $"range {index}+{count} is outside 0..{_visible}");
        }

        var ranges = _scratchRanges;
        ranges.Clear();
        var leaf = LeafAtVisible(index, out var start);
        var at = ItemAtVisible(leaf, index - start, out var offset);
        var remaining = count;
        while (true)
        {
            var item = leaf.Items[at];
            if (!item.Deleted)
            {
                var take = Math.Min(item.Length - offset, remaining);
                AddRange(ranges, item.Replica, item.Seq + offset, take);
                leaf = MarkDeleted(leaf, at, offset, take, out at);
                remaining -= take;
                if (remaining == 0)
                {
                    break;
                }
            }

            offset = 0;
            leaf = NextItem(leaf, ref at);
        }

        return new RgaDeleteOp([.. ranges]);
    }

    /// <summary>The visible text.</summary>
    public string GetText()
    {
        var buffer = ArrayPool<char>.Shared.Rent(Math.Max(1, _visible * 2));
        try
        {
            var n = 0;
            for (var leaf = _first; leaf is not null; leaf = leaf.Next)
            {
                for (var i = 0; i < leaf.Count; i++)
                {
                    ref readonly var item = ref leaf.Items[i];
                    if (!item.Deleted)
                    {
                        n += _logs[item.Replica].Content.CopyUtf16(item.Seq, item.Length, buffer.AsSpan(n));
                    }
                }
            }

            return new string(buffer, 0, n);
        }
        finally
        {
            ArrayPool<char>.Shared.Return(buffer);
        }
    }

    public override string ToString() => GetText();

    /// <summary>Marks chars offset..offset+take of an item deleted; returns where the deleted piece ended up.</summary>
    private RgaLeaf MarkDeleted(RgaLeaf leaf, int index, int offset, int take, out int landed)
    {
        DigestDeleted(leaf.Items[index], offset, take);
        if (offset > 0)
        {
            leaf = SplitItem(leaf, index, offset, out index);
        }

        if (take < leaf.Items[index].Length)
        {
            var tailLeaf = SplitItem(leaf, index, take, out var tailIndex);

            // The split may have moved our piece; it sits right before the tail.
            if (tailIndex > 0)
            {
                leaf = tailLeaf;
                index = tailIndex - 1;
            }
            else
            {
                leaf = tailLeaf.Prev!;
                index = leaf.Count - 1;
            }
        }

        leaf.Items[index].Deleted = true;
        AdjustUp(leaf, -take, 0);
        landed = MergeAround(leaf, index);
        return leaf;
    }

    private void AddRange(List<RgaCharRange> ranges, int replica, int seq, int length)
    {
        var key = _logs[replica].Key;
        if (ranges.Count > 0 && ranges[^1] is var last && last.Replica == key && last.Seq + last.Length == seq)
        {
            ranges[^1] = last with { Length = last.Length + length };
        }
        else
        {
            ranges.Add(new(key, seq, length));
        }
    }

    private RgaInsertOp NewInsertOp(int seq, ulong time, int n, string text, int leftReplica, int leftSeq, int rightReplica, int rightSeq) =>
        new(_keyTable, _local, seq, time, leftReplica, leftSeq, rightReplica, rightSeq, text, n);

    private int Intern(PublicKey key)
    {
        if (!_replicaIndex.TryGetValue(key, out var index))
        {
            index = _logs.Count;
            _logs.Add(new RgaReplicaLog(key));
            _replicaIndex.Add(key, index);

            // Ops keep a reference to the table, so grow by copying, never by changing old slots.
            if (index == _keyTable.Length)
            {
                var grown = new PublicKey[Math.Max(4, index * 2)];
                _keyTable.CopyTo(grown, 0);
                _keyTable = grown;
            }

            _keyTable[index] = key;
        }

        return index;
    }
}
