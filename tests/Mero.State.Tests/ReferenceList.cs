using System.Text;
using Mero.State.Text;

namespace Mero.State.Tests;

/// <summary>
/// A deliberately naive per-character YjsMod/FugueMax list (after josephg/reference-crdts
/// integrateYjsMod): one entry per char, linear searches. The tests check RgaText against it.
/// </summary>
internal sealed class ReferenceList
{
    private sealed class Entry
    {
        public required RgaCharId Id;
        public ulong Time;
        public RgaCharId? Left;
        public RgaCharId? Right;
        public int CodePoint;
        public bool Deleted;
    }

    private readonly List<Entry> _content = [];

    public void Apply(RgaOp op)
    {
        switch (op)
        {
            case RgaInsertOp insert:
                var codePoints = insert.Text.EnumerateRunes().Select(r => r.Value).ToArray();
                for (var k = 0; k < codePoints.Length; k++)
                {
                    var id = insert.Id with { Seq = insert.Id.Seq + k };
                    if (IndexOf(id) >= 0)
                    {
                        continue;
                    }

                    var left = k == 0 ? insert.OriginLeft : insert.Id with { Seq = insert.Id.Seq + k - 1 };
                    Integrate(new Entry { Id = id, Time = insert.Time + (ulong)k, Left = left, Right = insert.OriginRight, CodePoint = codePoints[k] });
                }

                break;
            case RgaDeleteOp delete:
                foreach (var range in delete.Ranges)
                {
                    for (var s = range.Seq; s < range.Seq + range.Length; s++)
                    {
                        _content[IndexOf(new RgaCharId(range.Replica, s))].Deleted = true;
                    }
                }

                break;
        }
    }

    public string Text
    {
        get
        {
            var builder = new StringBuilder();
            foreach (var e in _content.Where(e => !e.Deleted))
            {
                builder.Append(char.ConvertFromUtf32(e.CodePoint));
            }

            return builder.ToString();
        }
    }

    private int IndexOf(RgaCharId? id) => id is { } c ? _content.FindIndex(e => e.Id == c) : -1;

    private void Integrate(Entry item)
    {
        var left = IndexOf(item.Left);
        var right = item.Right is null ? _content.Count : IndexOf(item.Right);
        if (item.Left is not null && left < 0 || item.Right is not null && right < 0)
        {
            throw new InvalidOperationException("reference list got an op before its origins");
        }

        var destination = left + 1;
        var scanning = false;
        for (var i = left + 1; ; i++)
        {
            if (!scanning)
            {
                destination = i;
            }

            if (i == _content.Count || i == right)
            {
                break;
            }

            var other = _content[i];
            var otherLeft = IndexOf(other.Left);
            var otherRight = other.Right is null ? _content.Count : IndexOf(other.Right);
            if (otherLeft < left)
            {
                break;
            }

            if (otherLeft == left)
            {
                if (otherRight < right)
                {
                    scanning = true;
                }
                else if (otherRight == right)
                {
                    // Ids order by HLC time, then replica key (then seq).
                    var byTime = item.Time.CompareTo(other.Time);
                    if ((byTime != 0 ? byTime : item.Id.CompareTo(other.Id)) < 0)
                    {
                        break;
                    }

                    scanning = false;
                }
                else
                {
                    scanning = false;
                }
            }
        }

        _content.Insert(destination, item);
    }
}
