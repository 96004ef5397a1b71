using Mero.State.Text;
using Xunit;

namespace Mero.State.Tests;

/// <summary>Local editing, indexes in code points, argument checks.</summary>
public class RgaTextTests
{
    [Fact]
    public void Inserts_and_deletes_locally()
    {
        var text = new RgaText(Keys.Ordered(1));
        text.Insert(0, "hello world");
        text.Insert(5, ",");
        text.Delete(0, 1);
        text.Insert(0, "H");
        text.Delete(text.Length - 1);
        Assert.Equal("Hello, worl", text.GetText());
        Assert.Equal(11, text.Length);
        Assert.Equal(13, text.TotalLength);
        text.CheckInvariants();
    }

    [Fact]
    public void Indexes_count_code_points()
    {
        var text = new RgaText(Keys.Ordered(1));
        text.Insert(0, "a😀b");
        Assert.Equal(3, text.Length);
        text.Insert(2, "é🎉");
        Assert.Equal("a😀é🎉b", text.GetText());
        text.Delete(1, 3);
        Assert.Equal("ab", text.GetText());
    }

    [Fact]
    public void Bad_arguments_are_refused()
    {
        var text = new RgaText(Keys.Ordered(1));
        text.Insert(0, "abc");
        Assert.Throws<ArgumentOutOfRangeException>(() => text.Insert(4, "x"));
        Assert.Throws<ArgumentOutOfRangeException>(() => text.Insert(-1, "x"));
        Assert.Throws<ArgumentException>(() => text.Insert(0, ""));
        Assert.Throws<ArgumentException>(() => text.Insert(0, "a\ud800b"));
        Assert.Throws<ArgumentOutOfRangeException>(() => text.Delete(2, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => text.Delete(0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => text.Delete(3));
        Assert.Equal("abc", text.GetText());
    }

    [Fact]
    public void Typing_forward_grows_one_run()
    {
        var text = new RgaText(Keys.Ordered(1));
        var ops = new List<RgaOp>();
        foreach (var c in "typing")
        {
            ops.Add(text.Insert(text.Length, c.ToString()));
        }

        var second = (RgaInsertOp)ops[1];
        Assert.Equal(1, second.Id.Seq);
        Assert.Equal(new RgaCharId(text.Replica, 0), second.OriginLeft);
        Assert.Null(second.OriginRight);

        // One run: replica table, time table (one run of consecutive times: count, length, start), one header, seq, length, text.
        Assert.Equal(1 + 1 + 32 + 3 + 1 + 1 + 1 + 1 + 6, text.EncodeState().Length);
    }

    [Fact]
    public void Delete_op_lists_the_deleted_ids()
    {
        var a = new RgaText(Keys.Ordered(1));
        var b = new RgaText(Keys.Ordered(2));
        b.Apply(a.Insert(0, "abc"));
        a.Apply(b.Insert(3, "def"));
        var delete = a.Delete(1, 4);
        Assert.Equal(
            [new RgaCharRange(a.Replica, 1, 2), new RgaCharRange(b.Replica, 0, 2)],
            delete.Ranges);
        Assert.Equal("af", a.GetText());
    }

    [Fact]
    public void Large_random_edit_sequence_matches_a_string_model()
    {
        // Enough scattered edits for a three-level tree, many leaf and inner splits.
        var random = new Random(99);
        var text = new RgaText(Keys.Ordered(1));
        var remote = new RgaText(Keys.Ordered(2));
        var model = new List<char>();
        for (var i = 0; i < 60_000; i++)
        {
            RgaOp op;
            if (model.Count > 0 && random.Next(4) == 0)
            {
                var at = random.Next(model.Count);
                var count = Math.Min(model.Count - at, random.Next(1, 5));
                model.RemoveRange(at, count);
                op = text.Delete(at, count);
            }
            else
            {
                var at = random.Next(model.Count + 1);
                var s = new string((char)('a' + random.Next(26)), random.Next(1, 4));
                model.InsertRange(at, s);
                op = text.Insert(at, s);
            }

            Assert.Equal(RgaApplyResult.Applied, remote.Apply(op));
            if (i % 10_000 == 0)
            {
                text.CheckInvariants();
                remote.CheckInvariants();
            }
        }

        var expected = new string([.. model]);
        Assert.Equal(expected, text.GetText());
        Assert.Equal(expected, remote.GetText());
        text.CheckInvariants();
        remote.CheckInvariants();
        Assert.Equal(text.EncodeState(), remote.EncodeState());
        var decoded = RgaText.DecodeState(text.EncodeState(), Keys.Ordered(3));
        decoded.CheckInvariants();
        Assert.Equal(expected, decoded.GetText());
    }

    [Fact]
    public void Huge_paste_and_delete()
    {
        var text = new RgaText(Keys.Ordered(1));
        var big = new string('x', 200_000);
        text.Insert(0, big);
        text.Insert(100_000, "middle");
        text.Delete(10, 199_980);
        Assert.Equal(new string('x', 26), text.GetText());
        text.CheckInvariants();
    }
}
