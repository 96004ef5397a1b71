using Mero.State.Text;
using Xunit;

namespace Mero.State.Tests;

/// <summary>Each concurrent case of docs/crdt-text.md, delivered in both orders.</summary>
public class RgaConcurrentCaseTests
{
    private static readonly PublicKey LowKey = Keys.Ordered(1);
    private static readonly PublicKey HighKey = Keys.Ordered(2);

    /// <summary>Two replicas sharing base, then running their edits concurrently and exchanging ops.</summary>
    private static (RgaText A, RgaText B) Concurrently(string @base, Func<RgaText, RgaOp[]> editA, Func<RgaText, RgaOp[]> editB, bool aFirst)
    {
        var a = new RgaText(LowKey);
        var b = new RgaText(HighKey);
        if (@base.Length > 0)
        {
            b.Apply(a.Insert(0, @base));
        }

        var opsA = editA(a);
        var opsB = editB(b);
        foreach (var op in aFirst ? opsB : opsA)
        {
            Assert.Equal(RgaApplyResult.Applied, (aFirst ? a : b).Apply(op));
        }

        foreach (var op in aFirst ? opsA : opsB)
        {
            Assert.NotEqual(RgaApplyResult.MissingDependency, (aFirst ? b : a).Apply(op));
        }

        Assert.Equal(a.GetText(), b.GetText());
        Assert.Equal(a.EncodeState(), b.EncodeState());
        return (a, b);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Inserts_at_the_same_index_order_by_replica_key(bool aFirst)
    {
        var (a, _) = Concurrently("ac", a => [a.Insert(1, "X")], b => [b.Insert(1, "Y")], aFirst);
        Assert.Equal("aXYc", a.GetText()); // Lower key first.
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Inserts_at_the_document_start_order_by_replica_key(bool aFirst)
    {
        var (a, _) = Concurrently("", a => [a.Insert(0, "lo")], b => [b.Insert(0, "HI")], aFirst);
        Assert.Equal("loHI", a.GetText());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Concurrent_typing_at_one_spot_does_not_interleave(bool aFirst)
    {
        static RgaOp[] Type(RgaText t, string s) => [.. s.Select((c, i) => (RgaOp)t.Insert(1 + i, c.ToString()))];
        var (a, _) = Concurrently("[]", a => Type(a, "abc"), b => Type(b, "xyz"), aFirst);
        Assert.Equal("[abcxyz]", a.GetText());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Insert_next_to_a_concurrently_deleted_char_survives(bool aFirst)
    {
        var (a, _) = Concurrently("abc", a => [a.Delete(1)], b => [b.Insert(2, "X")], aFirst);
        Assert.Equal("aXc", a.GetText());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Delete_of_a_deleted_char_is_a_no_op(bool aFirst)
    {
        var a = new RgaText(LowKey);
        var b = new RgaText(HighKey);
        b.Apply(a.Insert(0, "abc"));
        var fromA = a.Delete(1);
        var fromB = b.Delete(1);
        Assert.Equal(RgaApplyResult.AlreadyApplied, aFirst ? a.Apply(fromB) : b.Apply(fromA));
        Assert.Equal(RgaApplyResult.AlreadyApplied, aFirst ? b.Apply(fromA) : a.Apply(fromB));
        Assert.Equal("ac", a.GetText());
        Assert.Equal(a.EncodeState(), b.EncodeState());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Delete_versus_insert_after_the_deleted_range(bool aFirst)
    {
        var (a, _) = Concurrently("abc", a => [a.Delete(1, 2)], b => [b.Insert(3, "Y")], aFirst);
        Assert.Equal("aY", a.GetText());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Insert_inside_a_concurrently_deleted_range_survives(bool aFirst)
    {
        var (a, _) = Concurrently("abcdef", a => [a.Delete(1, 4)], b => [b.Insert(3, "Z")], aFirst);
        Assert.Equal("aZf", a.GetText());
    }

    [Fact]
    public void Ops_with_missing_dependencies_change_nothing_until_retried()
    {
        var a = new RgaText(LowKey);
        var b = new RgaText(HighKey);
        var first = a.Insert(0, "ab");
        var second = a.Insert(1, "X"); // Its left origin is in first.
        var delete = a.Delete(0);

        Assert.Equal(RgaApplyResult.MissingDependency, b.Apply(second));
        Assert.Equal(RgaApplyResult.MissingDependency, b.Apply(delete));
        Assert.Equal("", b.GetText());
        Assert.Equal(0, b.KnownChars(LowKey));

        Assert.Equal(RgaApplyResult.Applied, b.Apply(first));
        Assert.Equal(RgaApplyResult.Applied, b.Apply(delete));
        Assert.Equal(RgaApplyResult.Applied, b.Apply(second));
        Assert.Equal(a.GetText(), b.GetText());
    }

    [Fact]
    public void A_gap_in_a_replicas_sequence_is_a_missing_dependency()
    {
        var a = new RgaText(LowKey);
        var b = new RgaText(HighKey);
        var first = a.Insert(0, "a");
        var second = a.Insert(0, "b"); // Origins known to b? No: but its seq 1 follows seq 0.
        var third = RgaInsertOp.Create(new RgaCharId(LowKey, 2), null, null, "c");
        Assert.Equal(RgaApplyResult.MissingDependency, b.Apply(third));
        Assert.Equal(RgaApplyResult.MissingDependency, b.Apply(second));
        b.Apply(first);
        b.Apply(second);
        Assert.Equal(RgaApplyResult.Applied, b.Apply(third));
    }

    [Fact]
    public void An_insert_partly_known_applies_only_its_new_chars()
    {
        var a = new RgaText(LowKey);
        var b = new RgaText(HighKey);
        b.Apply(a.Insert(0, "ab"));
        var longer = RgaInsertOp.Create(new RgaCharId(LowKey, 0), null, null, "abc");
        Assert.Equal(RgaApplyResult.Applied, b.Apply(longer));
        Assert.Equal(RgaApplyResult.AlreadyApplied, b.Apply(longer));
        Assert.Equal("abc", b.GetText());
        b.CheckInvariants();
    }
}
