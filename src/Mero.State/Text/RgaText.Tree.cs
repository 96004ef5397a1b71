namespace Mero.State.Text;

/// <summary>The B+tree of items: position lookups, splits and width bookkeeping.</summary>
public sealed partial class RgaText
{
    private RgaNode _root;
    private RgaLeaf _first;
    private RgaLeaf _last;
    private readonly List<RgaLeaf> _leafTable = [];
    private int _visible;
    private int _total;

    // Typing is local: remember the last leaf used and its visible start to skip the descent.
    private RgaLeaf? _cacheLeaf;
    private int _cacheStart;

    private int LeafVisible(RgaLeaf leaf) => leaf.Parent is { } p ? p.Visible[leaf.Slot] : _visible;

    /// <summary>The leaf holding visible char pos (0 &lt;= pos &lt; Length) and its visible start.</summary>
    private RgaLeaf LeafAtVisible(int pos, out int start)
    {
        if (_cacheLeaf is { } cached && pos >= _cacheStart)
        {
            var width = LeafVisible(cached);
            if (pos < _cacheStart + width)
            {
                start = _cacheStart;
                return cached;
            }

            if (cached.Next is { } next && pos < _cacheStart + width + LeafVisible(next))
            {
                _cacheLeaf = next;
                _cacheStart += width;
                start = _cacheStart;
                return next;
            }
        }

        var node = _root;
        var offset = 0;
        while (node is RgaInner inner)
        {
            var i = 0;
            while (pos - offset >= inner.Visible[i])
            {
                offset += inner.Visible[i];
                i++;
            }

            node = inner.Children[i];
        }

        var leaf = (RgaLeaf)node;
        _cacheLeaf = leaf;
        _cacheStart = offset;
        start = offset;
        return leaf;
    }

    /// <summary>Index of the visible item holding visible char p of the leaf, and the offset in it.</summary>
    private static int ItemAtVisible(RgaLeaf leaf, int p, out int offset)
    {
        var items = leaf.Items;
        for (var i = 0; ; i++)
        {
            var v = items[i].Visible;
            if (p < v)
            {
                offset = p;
                return i;
            }

            p -= v;
        }
    }

    /// <summary>Where char (replica, seq) lives: leaf, item index, offset in the item.</summary>
    private RgaLeaf FindChar(int replica, int seq, out int index, out int offset)
    {
        var leaf = _leafTable[_logs[replica].Leaves[seq]];
        var items = leaf.Items;
        for (var i = 0; i < leaf.Count; i++)
        {
            if (items[i].Contains(replica, seq))
            {
                index = i;
                offset = seq - items[i].Seq;
                return leaf;
            }
        }

        throw new InvalidOperationException($"RGA index is corrupt: char {replica}:{seq} is not in its leaf");
    }

    /// <summary>Chars (tombstones included) before the given char in the document.</summary>
    private int RawPosition(int replica, int seq)
    {
        var leaf = FindChar(replica, seq, out var index, out var pos);
        for (var i = 0; i < index; i++)
        {
            pos += leaf.Items[i].Length;
        }

        RgaNode node = leaf;
        while (node.Parent is { } parent)
        {
            for (var i = 0; i < node.Slot; i++)
            {
                pos += parent.Total[i];
            }

            node = parent;
        }

        return pos;
    }

    /// <summary>Adds to the widths of node and all its ancestors.</summary>
    private void AdjustUp(RgaNode node, int visible, int total)
    {
        if (visible != 0 && node != _cacheLeaf)
        {
            _cacheLeaf = null;
        }

        while (node.Parent is { } parent)
        {
            parent.Visible[node.Slot] += visible;
            parent.Total[node.Slot] += total;
            node = parent;
        }

        _visible += visible;
        _total += total;
    }

    /// <summary>Records that chars of item live in leaf, if the index says otherwise.</summary>
    private void PointIndexAt(in RgaItem item, RgaLeaf leaf)
    {
        var leaves = _logs[item.Replica].Leaves;
        if (leaves[item.Seq] != leaf.Id)
        {
            Array.Fill(leaves, leaf.Id, item.Seq, item.Length);
        }
    }

    /// <summary>Inserts an item before index (index may equal Count); returns where it landed.</summary>
    private RgaLeaf InsertItem(RgaLeaf leaf, int index, in RgaItem item, out int landed)
    {
        // Prefer the end of the previous leaf, so the new item can merge with its left neighbour.
        if (index == 0 && leaf.Prev is { } prev)
        {
            leaf = prev;
            index = prev.Count;
        }

        if (leaf.Count == RgaLeaf.Capacity)
        {
            var moved = SplitLeaf(leaf, out var movedRight);
            if (movedRight)
            {
                if (index > leaf.Count)
                {
                    index -= leaf.Count;
                    leaf = moved;
                }
            }
            else if (index <= moved.Count)
            {
                leaf = moved;
            }
            else
            {
                index -= moved.Count;
            }
        }

        var items = leaf.Items;
        if (index < leaf.Count)
        {
            Array.Copy(items, index, items, index + 1, leaf.Count - index);
        }

        items[index] = item;
        leaf.Count++;
        PointIndexAt(item, leaf);
        AdjustUp(leaf, item.Visible, item.Length);
        landed = index;
        return leaf;
    }

    /// <summary>Splits item index at offset (0 &lt; offset &lt; Length); returns where the tail landed.</summary>
    private RgaLeaf SplitItem(RgaLeaf leaf, int index, int offset, out int tailIndex)
    {
        ref var item = ref leaf.Items[index];
        var tail = item.Tail(offset);
        item.Length = offset;
        AdjustUp(leaf, -tail.Visible, -tail.Length);
        return InsertItem(leaf, index + 1, tail, out tailIndex);
    }

    /// <summary>Merges item index with its neighbours in the same leaf where the runs continue; returns its new index.</summary>
    private static int MergeAround(RgaLeaf leaf, int index)
    {
        var items = leaf.Items;
        if (index + 1 < leaf.Count && items[index].CanAppend(items[index + 1]))
        {
            items[index].Length += items[index + 1].Length;
            RemoveAt(leaf, index + 1);
        }

        if (index > 0 && items[index - 1].CanAppend(items[index]))
        {
            items[index - 1].Length += items[index].Length;
            RemoveAt(leaf, index);
            index--;
        }

        return index;
    }

    private static void RemoveAt(RgaLeaf leaf, int index)
    {
        leaf.Count--;
        Array.Copy(leaf.Items, index + 1, leaf.Items, index, leaf.Count - index);
    }

    /// <summary>
    /// Moves half of a full leaf's items into a new sibling: the half with fewer chars, so the
    /// per-char index rewrite stays small even when one item is huge.
    /// </summary>
    private RgaLeaf SplitLeaf(RgaLeaf leaf, out bool movedRight)
    {
        _cacheLeaf = null;
        var half = leaf.Count / 2;
        int leftChars = 0, totalChars = 0;
        for (var i = 0; i < leaf.Count; i++)
        {
            totalChars += leaf.Items[i].Length;
            if (i < half)
            {
                leftChars += leaf.Items[i].Length;
            }
        }

        movedRight = totalChars - leftChars <= leftChars;
        var from = movedRight ? half : 0;
        var count = movedRight ? leaf.Count - half : half;

        var fresh = NewLeaf();
        Array.Copy(leaf.Items, from, fresh.Items, 0, count);
        fresh.Count = count;
        int visible = 0, total = 0;
        for (var i = 0; i < count; i++)
        {
            visible += fresh.Items[i].Visible;
            total += fresh.Items[i].Length;
        }

        if (!movedRight)
        {
            Array.Copy(leaf.Items, half, leaf.Items, 0, leaf.Count - half);
        }

        leaf.Count -= count;
        EnsureParent(leaf);
        AdjustUp(leaf, -visible, -total);
        if (movedRight)
        {
            InsertChild(leaf.Parent!, leaf.Slot + 1, fresh);
            fresh.Prev = leaf;
            fresh.Next = leaf.Next;
            if (leaf.Next is { } next)
            {
                next.Prev = fresh;
            }
            else
            {
                _last = fresh;
            }

            leaf.Next = fresh;
        }
        else
        {
            InsertChild(leaf.Parent!, leaf.Slot, fresh);
            fresh.Next = leaf;
            fresh.Prev = leaf.Prev;
            if (leaf.Prev is { } prev)
            {
                prev.Next = fresh;
            }
            else
            {
                _first = fresh;
            }

            leaf.Prev = fresh;
        }

        AdjustUp(fresh, visible, total);
        for (var i = 0; i < count; i++)
        {
            PointIndexAt(fresh.Items[i], fresh);
        }

        return fresh;
    }

    private RgaLeaf NewLeaf()
    {
        var leaf = new RgaLeaf(_leafTable.Count);
        _leafTable.Add(leaf);
        return leaf;
    }

    /// <summary>Appends an empty leaf after the last one (bulk loading).</summary>
    private RgaLeaf AppendLeaf()
    {
        var last = _last;
        EnsureParent(last);
        var fresh = NewLeaf();
        fresh.Prev = last;
        InsertChild(last.Parent!, last.Slot + 1, fresh);
        last.Next = fresh;
        _last = fresh;
        return fresh;
    }

    /// <summary>Gives the root a parent, so it can get a sibling.</summary>
    private void EnsureParent(RgaNode node)
    {
        if (node.Parent is not null)
        {
            return;
        }

        var root = new RgaInner { Count = 1 };
        root.Children[0] = node;
        root.Visible[0] = _visible;
        root.Total[0] = _total;
        node.Parent = root;
        node.Slot = 0;
        _root = root;
    }

    /// <summary>Inserts a zero-width child at slot, splitting the parent when full.</summary>
    private void InsertChild(RgaInner parent, int slot, RgaNode child)
    {
        if (parent.Count == RgaInner.Capacity)
        {
            var right = SplitInner(parent);
            if (slot > parent.Count)
            {
                slot -= parent.Count;
                parent = right;
            }
        }

        var n = parent.Count - slot;
        Array.Copy(parent.Children, slot, parent.Children, slot + 1, n);
        Array.Copy(parent.Visible, slot, parent.Visible, slot + 1, n);
        Array.Copy(parent.Total, slot, parent.Total, slot + 1, n);
        parent.Children[slot] = child;
        parent.Visible[slot] = 0;
        parent.Total[slot] = 0;
        parent.Count++;
        child.Parent = parent;
        for (var i = slot; i < parent.Count; i++)
        {
            parent.Children[i].Slot = i;
        }
    }

    /// <summary>Moves the right half of a full inner node into a new sibling, which it returns.</summary>
    private RgaInner SplitInner(RgaInner inner)
    {
        _cacheLeaf = null;
        EnsureParent(inner);
        var half = inner.Count / 2;
        var count = inner.Count - half;
        var right = new RgaInner { Count = count };
        int visible = 0, total = 0;
        for (var i = 0; i < count; i++)
        {
            var child = inner.Children[half + i];
            right.Children[i] = child;
            right.Visible[i] = inner.Visible[half + i];
            right.Total[i] = inner.Total[half + i];
            visible += right.Visible[i];
            total += right.Total[i];
            child.Parent = right;
            child.Slot = i;
            inner.Children[half + i] = null!;
        }

        inner.Count = half;
        AdjustUp(inner, -visible, -total);
        InsertChild(inner.Parent!, inner.Slot + 1, right);
        AdjustUp(right, visible, total);
        return right;
    }

    /// <summary>The item after (leaf, index); index == Count of the last leaf means the end.</summary>
    private static RgaLeaf NextItem(RgaLeaf leaf, ref int index)
    {
        if (index + 1 < leaf.Count || leaf.Next is null)
        {
            index++;
            return leaf;
        }

        index = 0;
        return leaf.Next;
    }
}
