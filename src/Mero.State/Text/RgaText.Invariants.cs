namespace Mero.State.Text;

/// <summary>A full consistency check of the tree and index, for tests and debugging (O(n)).</summary>
public sealed partial class RgaText
{
    internal void CheckInvariants()
    {
        var (visible, total) = CheckNode(_root, null);
        Require(visible == _visible && total == _total, $"root widths {visible}/{total} != {_visible}/{_total}");

        var seen = new int[_logs.Count];
        RgaLeaf? previous = null;
        for (var leaf = _first; leaf is not null; leaf = leaf.Next)
        {
            Require(leaf.Prev == previous, "leaf links are broken");
            Require(leaf.Count > 0 || (leaf == _root && _total == 0), "empty leaf");
            Require(_leafTable[leaf.Id] == leaf, "leaf table is wrong");
            for (var i = 0; i < leaf.Count; i++)
            {
                var item = leaf.Items[i];
                Require(item.Length > 0, "empty item");
                var log = _logs[item.Replica];
                Require(item.End <= log.Count, "item beyond the replica's known chars");
                for (var s = item.Seq; s < item.End; s++)
                {
                    Require(log.Leaves[s] == leaf.Id, $"index points char {item.Replica}:{s} to the wrong leaf");
                }

                seen[item.Replica] += item.Length;
                if (item.LeftReplica != RgaItem.None)
                {
                    Require(item.LeftSeq < _logs[item.LeftReplica].Count, "left origin unknown");
                }

                if (item.RightReplica != RgaItem.None)
                {
                    Require(item.RightSeq < _logs[item.RightReplica].Count, "right origin unknown");
                }
            }

            previous = leaf;
        }

        Require(previous == _last, "last leaf is wrong");
        for (var r = 0; r < _logs.Count; r++)
        {
            Require(seen[r] == _logs[r].Count, $"replica {r} has {seen[r]} chars in the tree but {_logs[r].Count} known");
        }
    }

    private static (int Visible, int Total) CheckNode(RgaNode node, RgaInner? parent)
    {
        Require(node.Parent == parent, "parent link is wrong");
        if (node is RgaLeaf leaf)
        {
            int v = 0, t = 0;
            for (var i = 0; i < leaf.Count; i++)
            {
                v += leaf.Items[i].Visible;
                t += leaf.Items[i].Length;
            }

            return (v, t);
        }

        var inner = (RgaInner)node;
        Require(inner.Count > 0, "empty inner node");
        int visible = 0, total = 0;
        for (var i = 0; i < inner.Count; i++)
        {
            var child = inner.Children[i];
            Require(child.Slot == i, "slot is wrong");
            var (v, t) = CheckNode(child, inner);
            Require(v == inner.Visible[i] && t == inner.Total[i], $"cached widths {inner.Visible[i]}/{inner.Total[i]} != {v}/{t}");
            visible += v;
            total += t;
        }

        return (visible, total);
    }

    private static void Require(bool condition, string message)
    {
        if (!condition)
        {
            throw new InvalidOperationException("RGA invariant violated: " + message);
        }
    }
}
