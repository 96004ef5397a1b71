namespace Mero.State.Text;

/// <summary>
/// The full document, tombstones included, as canonical maximal runs in document order, followed
/// by the visible text as UTF-8 (deleted text is not kept). Origins are mostly implied by the
/// neighbouring runs, so a run costs a few bytes. Equal documents encode to equal bytes, however
/// their ops arrived. Layout in docs/crdt-text.md.
/// </summary>
public sealed partial class RgaText
{
    /// <summary>Default cap on characters (tombstones included) a decoded state may hold.</summary>
    public const int DefaultMaxStateChars = 1 << 22;

    // 2: per-replica char time runs after the key table.
    private const byte StateVersion = 0x02;

    private const int FlagDeleted = 1;
    private const int LeftShift = 1;
    private const int RightShift = 3;
    private const int FlagOtherReplica = 1 << 6;

    private const int LeftNone = 0;
    private const int LeftPrevious = 1;
    private const int LeftContinues = 2;
    private const int LeftExplicit = 3;

    private const int RightNone = 0;
    private const int RightNext = 1;
    private const int RightAfterLeft = 2;
    private const int RightAsPrevious = 3;
    private const int RightExplicit = 4;

    /// <summary>Encodes the op for the wire; see docs/crdt-text.md for the layout.</summary>
    public static byte[] EncodeOp(RgaOp op) => RgaOpCodec.Encode(op);

    /// <summary>Encodes the op with its insert time relative to (at or before) relativeTo, as CRDT deltas carry it.</summary>
    public static byte[] EncodeOp(RgaOp op, ulong relativeTo) => RgaOpCodec.Encode(op, relativeTo);

    /// <summary>Decodes what <see cref="EncodeOp(RgaOp, ulong)"/> wrote with the same relativeTo.</summary>
    public static RgaOp DecodeOp(ReadOnlySpan<byte> bytes, ulong relativeTo) => RgaOpCodec.Decode(bytes, relativeTo);

    /// <summary>Decodes an op; malformed input throws <see cref="RgaFormatException"/>.</summary>
    public static RgaOp DecodeOp(ReadOnlySpan<byte> bytes) => RgaOpCodec.Decode(bytes);

    /// <summary>The canonical encoding of the whole document.</summary>
    public byte[] EncodeState()
    {
        var runs = CanonicalRuns();

        // Replica table in key order, so the bytes do not depend on interning order.
        var order = Enumerable.Range(0, _logs.Count).Where(r => _logs[r].Count > 0).OrderBy(r => _logs[r].Key).ToArray();
        var canonical = new int[_logs.Count];
        for (var i = 0; i < order.Length; i++)
        {
            canonical[order[i]] = i;
        }

        var w = new RgaWireWriter(16 + (order.Length * 32) + (runs.Count * 6) + _visible);
        w.Byte(StateVersion);
        w.VarInt(order.Length);
        foreach (var r in order)
        {
            w.Key(_logs[r].Key);
        }

        foreach (var r in order)
        {
            WriteTimes(w, _logs[r]);
        }

        w.VarInt(runs.Count);
        var lastEnd = new int[_logs.Count];
        var previousReplica = order.Length > 0 ? order[0] : 0;
        var previousRight = RightNone;
        for (var i = 0; i < runs.Count; i++)
        {
            var run = runs[i];
            var hasPrevious = i > 0;
            var previous = hasPrevious ? runs[i - 1] : default;
            var hasNext = i + 1 < runs.Count;
            var next = hasNext ? runs[i + 1] : default;

            int left;
            if (run.LeftReplica == RgaItem.None)
            {
                left = LeftNone;
            }
            else if (hasPrevious && run.LeftReplica == previous.Replica && run.LeftSeq == previous.End - 1)
            {
                left = LeftPrevious;
            }
            else if (run.LeftReplica == run.Replica && run.LeftSeq == run.Seq - 1)
            {
                left = LeftContinues;
            }
            else
            {
                left = LeftExplicit;
            }

            int right;
            if (run.RightReplica == RgaItem.None)
            {
                right = RightNone;
            }
            else if (hasNext && next.StartsWith(run.RightReplica, run.RightSeq))
            {
                right = RightNext;
            }
            else if (run.LeftReplica != RgaItem.None && run.RightReplica == run.LeftReplica && run.RightSeq == run.LeftSeq + 1)
            {
                right = RightAfterLeft;
            }
            else if (hasPrevious && previousRight != RightNext && previous.RightReplica != RgaItem.None && run.RightReplica == previous.RightReplica && run.RightSeq == previous.RightSeq)
            {
                right = RightAsPrevious;
            }
            else
            {
                right = RightExplicit;
            }

            previousRight = right;
            var header = (run.Deleted ? FlagDeleted : 0) | (left << LeftShift) | (right << RightShift);
            if (run.Replica != previousReplica)
            {
                header |= FlagOtherReplica;
            }

            w.Byte((byte)header);
            if (run.Replica != previousReplica)
            {
                w.VarInt(canonical[run.Replica]);
                previousReplica = run.Replica;
            }

            w.SignedVarInt((long)run.Seq - lastEnd[run.Replica]);
            lastEnd[run.Replica] = run.End;
            w.VarInt(run.Length);
            if (left == LeftExplicit)
            {
                w.VarInt(canonical[run.LeftReplica]);
                w.SignedVarInt((long)run.LeftSeq - run.Seq);
            }

            if (right == RightExplicit)
            {
                w.VarInt(canonical[run.RightReplica]);
                w.SignedVarInt((long)run.RightSeq - run.Seq);
            }
        }

        foreach (var run in runs)
        {
            if (!run.Deleted)
            {
                _logs[run.Replica].Content.WriteUtf8(run.Seq, run.Length, w);
            }
        }

        return w.ToArray();
    }

    /// <summary>
    /// Rebuilds a document from <see cref="EncodeState"/> bytes, as seen by replica (which may
    /// already have chars in it; its next inserts continue its seq). Malformed input, or more than
    /// maxChars characters, throws <see cref="RgaFormatException"/> before large allocations.
    /// </summary>
    public static RgaText DecodeState(ReadOnlySpan<byte> bytes, PublicKey replica, int maxChars = DefaultMaxStateChars)
    {
        var r = new RgaWireReader(bytes, "RGA state");
        var version = r.Byte();
        if (version != StateVersion)
        {
            throw r.Error($"unknown state version {version}");
        }

        var replicaCount = r.Int("replica count", r.Remaining / 32);
        var keys = new PublicKey[replicaCount];
        for (var i = 0; i < replicaCount; i++)
        {
            keys[i] = r.Key();
            if (i > 0 && keys[i - 1].CompareTo(keys[i]) >= 0)
            {
                throw r.Error("replica keys are not strictly ascending");
            }
        }

        var times = new List<(int Length, ulong Start)>[replicaCount];
        for (var i = 0; i < replicaCount; i++)
        {
            times[i] = ReadTimes(ref r, maxChars);
        }

        // Each run takes at least three bytes.
        var runCount = r.Int("run count", r.Remaining / 3);
        if (replicaCount == 0 && runCount > 0)
        {
            throw r.Error("runs without replicas");
        }

        var runs = new RgaItem[runCount];
        var rights = new byte[runCount];
        var lastEnd = new int[replicaCount];
        var sums = new long[replicaCount];
        long total = 0;
        var currentReplica = 0;
        for (var i = 0; i < runCount; i++)
        {
            var header = r.Byte();
            if (header >= 0x80)
            {
                throw r.Error($"bad run header 0x{header:x2}");
            }

            var left = (header >> LeftShift) & 3;
            var right = (header >> RightShift) & 7;
            if (right > RightExplicit)
            {
                throw r.Error($"bad right origin kind {right}");
            }

            if ((header & FlagOtherReplica) != 0)
            {
                currentReplica = r.Int("replica index", replicaCount - 1);
            }

            ref var run = ref runs[i];
            run.Replica = currentReplica;
            run.Deleted = (header & FlagDeleted) != 0;
            var seq = lastEnd[currentReplica] + r.SignedVarInt();
            run.Length = r.Int("run length", maxChars);
            if (run.Length == 0 || seq < 0 || seq + run.Length > maxChars)
            {
                throw r.Error($"run {i} has seq {seq} and length {run.Length}");
            }

            run.Seq = (int)seq;
            lastEnd[currentReplica] = run.End;
            sums[currentReplica] += run.Length;
            total += run.Length;
            if (total > maxChars)
            {
                throw r.Error($"more than {maxChars} characters");
            }

            switch (left)
            {
                case LeftNone:
                    run.LeftReplica = RgaItem.None;
                    break;
                case LeftPrevious when i > 0:
                    run.LeftReplica = runs[i - 1].Replica;
                    run.LeftSeq = runs[i - 1].End - 1;
                    break;
                case LeftContinues when run.Seq > 0:
                    run.LeftReplica = run.Replica;
                    run.LeftSeq = run.Seq - 1;
                    break;
                case LeftExplicit:
                    (run.LeftReplica, run.LeftSeq) = ReadExplicit(ref r, replicaCount, run.Seq);
                    break;
                default:
                    throw r.Error($"run {i}: left origin kind {left} does not apply here");
            }

            rights[i] = (byte)right;
            switch (right)
            {
                case RightNone:
                    run.RightReplica = RgaItem.None;
                    break;
                case RightNext when i + 1 < runCount:
                    break; // Resolved once the next run is read.
                case RightAfterLeft when run.LeftReplica != RgaItem.None:
                    run.RightReplica = run.LeftReplica;
                    run.RightSeq = run.LeftSeq + 1;
                    break;
                // The previous run's right cannot be "next" here: that would be this run itself.
                case RightAsPrevious when i > 0 && rights[i - 1] != RightNext && runs[i - 1].RightReplica != RgaItem.None:
                    run.RightReplica = runs[i - 1].RightReplica;
                    run.RightSeq = runs[i - 1].RightSeq;
                    break;
                case RightExplicit:
                    (run.RightReplica, run.RightSeq) = ReadExplicit(ref r, replicaCount, run.Seq);
                    break;
                default:
                    throw r.Error($"run {i}: right origin kind {right} does not apply here");
            }

            if (OriginFollows(run, right != RightNext))
            {
                throw r.Error($"run {i}: an origin of {run.Replica}:{run.Seq} was inserted after it");
            }

            if (i > 0 && rights[i - 1] == RightNext)
            {
                runs[i - 1].RightReplica = run.Replica;
                runs[i - 1].RightSeq = run.Seq;
                if (OriginFollows(runs[i - 1], checkRight: true))
                {
                    throw r.Error($"run {i - 1}: an origin of {runs[i - 1].Replica}:{runs[i - 1].Seq} was inserted after it");
                }
            }
        }

        // Every replica's chars must be exactly 0..count-1, each in one run.
        var counts = new int[replicaCount];
        for (var i = 0; i < runCount; i++)
        {
            counts[runs[i].Replica] = Math.Max(counts[runs[i].Replica], runs[i].End);
        }

        for (var i = 0; i < replicaCount; i++)
        {
            if (counts[i] != sums[i] || counts[i] == 0)
            {
                throw r.Error($"replica {i} does not have contiguous characters");
            }
        }

        return Build(ref r, keys, counts, runs, replica, times);
    }

    /// <summary>A replica's char times in seq order as maximal runs of consecutive times: count, then (length, start delta).</summary>
    private static void WriteTimes(RgaWireWriter w, RgaReplicaLog log)
    {
        var starts = new List<int>();
        for (var s = 0; s < log.Count; s++)
        {
            if (s == 0 || log.Times[s] != log.Times[s - 1] + 1)
            {
                starts.Add(s);
            }
        }

        w.VarInt(starts.Count);
        ulong expected = 0;
        for (var i = 0; i < starts.Count; i++)
        {
            var length = (i + 1 < starts.Count ? starts[i + 1] : log.Count) - starts[i];
            var start = log.Times[starts[i]];
            w.VarInt(length);
            w.SignedVarLong(unchecked((long)(start - expected)));
            expected = unchecked(start + (ulong)length);
        }
    }

    private static List<(int Length, ulong Start)> ReadTimes(ref RgaWireReader r, int maxChars)
    {
        var count = r.Int("time run count", Math.Min(maxChars, r.Remaining / 2));
        var list = new List<(int, ulong)>(count);
        ulong expected = 0;
        long total = 0;
        for (var i = 0; i < count; i++)
        {
            var length = r.Int("time run length", maxChars);
            var start = unchecked(expected + (ulong)r.SignedVarLong());
            total += length;
            if (length == 0 || total > maxChars || start > RgaText.MaxCharTime - (ulong)length)
            {
                throw r.Error($"bad time run {i}");
            }

            list.Add((length, start));
            expected = start + (ulong)length;
        }

        return list;
    }

    /// <summary>A replica inserts in seq order, so none of its own later chars can be an origin of this run.</summary>
    private static bool OriginFollows(in RgaItem run, bool checkRight) =>
        (run.LeftReplica == run.Replica && run.LeftSeq >= run.Seq)
        || (checkRight && run.RightReplica == run.Replica && run.RightSeq >= run.Seq);

    private static (int Replica, int Seq) ReadExplicit(ref RgaWireReader r, int replicaCount, int seq)
    {
        var replica = r.Int("origin replica", replicaCount - 1);
        var value = seq + r.SignedVarInt();
        if (value < 0 || value > int.MaxValue)
        {
            throw r.Error($"origin seq {value} is out of range");
        }

        return (replica, (int)value);
    }

    private static RgaText Build(ref RgaWireReader r, PublicKey[] keys, int[] counts, RgaItem[] runs, PublicKey replica, List<(int Length, ulong Start)>[] times)
    {
        var text = new RgaText(replica);
        var interned = new int[keys.Length];
        for (var i = 0; i < keys.Length; i++)
        {
            interned[i] = text.Intern(keys[i]);
            var log = text._logs[interned[i]];
            log.EnsureCapacity(counts[i]);
            log.Count = counts[i];
        }

        for (var i = 0; i < runs.Length; i++)
        {
            ref var run = ref runs[i];
            if (run.LeftReplica != RgaItem.None && run.LeftSeq >= counts[run.LeftReplica])
            {
                throw r.Error($"run {i}: left origin {run.LeftReplica}:{run.LeftSeq} does not exist");
            }

            if (run.RightReplica != RgaItem.None && run.RightSeq >= counts[run.RightReplica])
            {
                throw r.Error($"run {i}: right origin {run.RightReplica}:{run.RightSeq} does not exist");
            }

            var log = text._logs[interned[run.Replica]];
            for (var s = run.Seq; s < run.End; s++)
            {
                if (log.Leaves[s] != 0)
                {
                    throw r.Error($"run {i}: character {run.Replica}:{s} appears twice");
                }

                // Mark the slot taken; the real leaf is set when the item is placed.
                log.Leaves[s] = text._first.Id;
            }

            if (!run.Deleted)
            {
                for (var s = run.Seq; s < run.End; s++)
                {
                    log.Content.Set(s, r.CodePoint());
                }
            }

            run.Replica = interned[run.Replica];
            run.LeftReplica = run.LeftReplica == RgaItem.None ? RgaItem.None : interned[run.LeftReplica];
            run.RightReplica = run.RightReplica == RgaItem.None ? RgaItem.None : interned[run.RightReplica];
        }

        r.EnsureEnd();

        // Times last, so a broken run table reports its own error first.
        for (var i = 0; i < keys.Length; i++)
        {
            var log = text._logs[interned[i]];
            var s = 0;
            foreach (var (length, start) in times[i])
            {
                if (s + length > counts[i])
                {
                    throw r.Error($"replica {i} has times for more than its {counts[i]} characters");
                }

                for (var k = 0; k < length; k++)
                {
                    log.Times[s + k] = start + (ulong)k;
                }

                s += length;
                text._maxTime = Math.Max(text._maxTime, start + (ulong)length - 1);
            }

            if (s != counts[i])
            {
                throw r.Error($"replica {i} has times for {s} of its {counts[i]} characters");
            }
        }


        foreach (var run in runs)
        {
            var leaf = text._last;
            if (leaf.Count == RgaLeaf.Capacity)
            {
                leaf = text.AppendLeaf();
            }

            leaf.Items[leaf.Count++] = run;
            Array.Fill(text._logs[run.Replica].Leaves, leaf.Id, run.Seq, run.Length);
            text.AdjustUp(leaf, run.Visible, run.Length);
        }

        text._cacheLeaf = null;
        return text;
    }

    /// <summary>Items merged into maximal runs, in document order.</summary>
    private List<RgaItem> CanonicalRuns()
    {
        var runs = new List<RgaItem>();
        for (var leaf = _first; leaf is not null; leaf = leaf.Next)
        {
            for (var i = 0; i < leaf.Count; i++)
            {
                ref readonly var item = ref leaf.Items[i];
                if (runs.Count > 0 && runs[^1].CanAppend(item))
                {
                    var last = runs[^1];
                    last.Length += item.Length;
                    runs[^1] = last;
                }
                else
                {
                    runs.Add(item);
                }
            }
        }

        return runs;
    }
}
