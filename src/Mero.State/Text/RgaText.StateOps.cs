namespace Mero.State.Text;

/// <summary>A whole document as ops, so a state from another replica can be merged into this one.</summary>
public sealed partial class RgaText
{
    /// <summary>
    /// The document as inserts (one per run of consecutive ids and times, oldest first, so each
    /// one's origins come before it) and one delete of every tombstone. Applying them to any
    /// replica's document merges this state into it; applying them twice changes nothing. A
    /// deleted char's content does not matter (the digest leaves it out), so it is a placeholder.
    /// </summary>
    internal IReadOnlyList<RgaOp> StateOps()
    {
        var inserts = new List<RgaInsertOp>();
        var deleted = new List<RgaCharRange>();
        foreach (var run in CanonicalRuns())
        {
            var log = _logs[run.Replica];
            var start = 0;
            while (start < run.Length)
            {
                var end = start + 1;
                while (end < run.Length && log.Times[run.Seq + end] == log.Times[run.Seq + start] + (ulong)(end - start))
                {
                    end++;
                }

                var piece = start == 0 ? run : run.Tail(start);
                var length = end - start;
                string text;
                if (run.Deleted)
                {
                    text = new string('?', length);
                }
                else
                {
                    var buffer = new char[length * 2];
                    text = new string(buffer, 0, log.Content.CopyUtf16(run.Seq + start, length, buffer));
                }

                RgaCharId? left = piece.LeftReplica == RgaItem.None ? null : new RgaCharId(_logs[piece.LeftReplica].Key, piece.LeftSeq);
                RgaCharId? right = piece.RightReplica == RgaItem.None ? null : new RgaCharId(_logs[piece.RightReplica].Key, piece.RightSeq);
                inserts.Add(RgaInsertOp.Create(new RgaCharId(log.Key, run.Seq + start), left, right, text, log.Times[run.Seq + start]));
                start = end;
            }

            if (run.Deleted)
            {
                deleted.Add(new RgaCharRange(log.Key, run.Seq, run.Length));
            }
        }

        // Times are HLC: an insert is later than every char it was placed against.
        var ops = new List<RgaOp>(inserts.OrderBy(i => i.Time).ThenBy(i => i.Id));
        if (deleted.Count > 0)
        {
            ops.Add(RgaDeleteOp.Create(deleted));
        }

        return ops;
    }

    /// <summary>Replicas with at least one char in the document (the writers of its content).</summary>
    internal IReadOnlyList<PublicKey> Writers() => [.. _logs.Where(l => l.Count > 0).Select(l => l.Key)];
}
