using CsCheck;
using Mero.Primitives;
using Mero.Primitives.Clock;
using Xunit;

namespace Mero.State.Tests;

public class HybridTimestampTests
{
    private static readonly Gen<HybridTimestamp> Stamps =
        Gen.Select(Gen.ULong, Gen.Byte.Array[32]).Select((time, key) => new HybridTimestamp(time, PublicKey.FromBytes(key)));

    [Fact]
    public void Orders_by_time_then_node()
    {
        var early = new HybridTimestamp(HybridTimestamp.Pack(10, 5), Keys.Ordered(9));
        var later = new HybridTimestamp(HybridTimestamp.Pack(10, 6), Keys.Ordered(1));
        var tieLow = new HybridTimestamp(HybridTimestamp.Pack(11, 0), Keys.Ordered(1));
        var tieHigh = new HybridTimestamp(HybridTimestamp.Pack(11, 0), Keys.Ordered(2));
        Assert.True(early < later);
        Assert.True(later < tieLow);
        Assert.True(tieLow < tieHigh);
        Assert.Equal(10UL, early.PhysicalMilliseconds);
        Assert.Equal(5, early.Counter);
    }

    [Fact]
    public void Borsh_round_trips() => Stamps.Sample(stamp =>
    {
        var writer = new BorshWriter();
        stamp.WriteBorsh(writer);
        Assert.Equal(HybridTimestamp.BorshSize, writer.Length);
        var reader = new BorshReader(writer.WrittenSpan);
        Assert.Equal(stamp, HybridTimestamp.ReadBorsh(ref reader));
        Assert.Equal(stamp, HybridTimestamp.FromBorsh(writer.WrittenSpan));
    });

    [Fact]
    public void Compact_round_trips() => Stamps.Sample(stamp =>
    {
        var bytes = stamp.ToCompact();
        Assert.Equal(stamp, HybridTimestamp.ReadCompact(bytes, out var consumed));
        Assert.Equal(bytes.Length, consumed);
    });

    [Fact]
    public void Compact_is_small_for_real_times()
    {
        var stamp = new HybridTimestamp(HybridTimestamp.Pack(1_700_000_000_000, 3), Keys.Ordered(1));
        Assert.Equal(9 + 32, stamp.ToCompact().Length); // 57-bit time: nine LEB128 bytes.
    }

    [Fact]
    public void Malformed_compact_bytes_are_rejected() => Stamps.Sample(stamp =>
    {
        var bytes = stamp.ToCompact();
        for (var n = 0; n < bytes.Length; n++)
        {
            var prefix = bytes[..n];
            Assert.Throws<BorshException>(() => HybridTimestamp.ReadCompact(prefix, out _));
        }
    }, iter: 20);

    [Fact]
    public void Overlong_compact_time_is_rejected()
    {
        byte[] overflow = [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02, .. new byte[32]];
        Assert.Throws<BorshException>(() => HybridTimestamp.ReadCompact(overflow, out _));
        byte[] padded = [0x81, 0x00, .. new byte[32]];
        Assert.Throws<BorshException>(() => HybridTimestamp.ReadCompact(padded, out _));
        Assert.Throws<BorshException>(() => HybridTimestamp.FromBorsh(new byte[39]));
    }
}
