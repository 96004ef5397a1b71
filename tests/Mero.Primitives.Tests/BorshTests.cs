using CsCheck;
using Mero.Primitives;
using Xunit;

namespace Mero.Primitives.Tests;

public class BorshTests
{
    [Fact]
    public void Writes_little_endian_with_u32_length_prefixes()
    {
        var bytes = new BorshWriter()
            .WriteU8(7)
            .WriteU32(0x01020304)
            .WriteU64(1)
            .WriteString("hi")
            .WriteOptionalString(null)
            .WriteBytes([0xAA])
            .ToArray();
        Assert.Equal(
            "07" + "04030201" + "0100000000000000" + "02000000" + "6869" + "00" + "01000000" + "aa",
            Convert.ToHexStringLower(bytes));
    }

    [Fact]
    public void Round_trips_mixed_records() =>
        Gen.Select(Gen.ULong, Gen.String, Gen.Byte.Array[0, 64], Gen.Bool).Sample((number, text, blob, flag) =>
        {
            var bytes = new BorshWriter().WriteU64(number).WriteString(text).WriteBytes(blob).WriteBool(flag).ToArray();
            var reader = new BorshReader(bytes);
            var ok = reader.ReadU64() == number && reader.ReadString() == text && reader.ReadBytes().AsSpan().SequenceEqual(blob) && reader.ReadBool() == flag;
            reader.EnsureEnd();
            return ok;
        });

    [Fact]
    public void A_hostile_length_prefix_fails_before_allocating()
    {
        byte[] bytes = [0xFF, 0xFF, 0xFF, 0x7F, 1, 2, 3];
        var error = Assert.Throws<BorshException>(() => new BorshReader(bytes).ReadBytes());
        Assert.Contains("longer than the 3 bytes left", error.Message);
    }

    [Fact]
    public void A_collection_count_that_cannot_fit_is_refused()
    {
        byte[] bytes = [0x00, 0x00, 0x00, 0x10, 0, 0];
        Assert.Throws<BorshException>(() => new BorshReader(bytes).ReadCount(minElementSize: 32));
    }

    [Theory]
    [InlineData(new byte[] { })]
    [InlineData(new byte[] { 1, 0 })]
    public void Truncated_input_is_a_clear_error(byte[] bytes)
    {
        var error = Assert.Throws<BorshException>(() => new BorshReader(bytes).ReadU32());
        Assert.Contains("unexpected end of data", error.Message);
    }

    [Fact]
    public void Invalid_utf8_and_bad_tags_are_refused()
    {
        Assert.Throws<BorshException>(() => new BorshReader([2, 0, 0, 0, 0xC3, 0x28]).ReadString());
        Assert.Throws<BorshException>(() => new BorshReader([2]).ReadOptionTag());
        Assert.Throws<BorshException>(() => new BorshReader([5]).ReadBool());
    }

    [Fact]
    public void Trailing_bytes_are_detected()
    {
        var error = Assert.Throws<BorshException>(() =>
        {
            var reader = new BorshReader([1, 2]);
            reader.ReadU8();
            reader.EnsureEnd();
        });
        Assert.Contains("1 unexpected trailing bytes", error.Message);
    }
}
