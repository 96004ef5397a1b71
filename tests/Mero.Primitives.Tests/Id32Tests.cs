using Mero.Crypto;
using Mero.Primitives;
using Xunit;

namespace Mero.Primitives.Tests;

public class Id32Tests
{
    [Fact]
    public void Parses_its_own_text_form_and_compares_by_value()
    {
        var bytes = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();
        var id = ContextId.FromBytes(bytes);
        var parsed = ContextId.Parse(id.ToString());
        Assert.Equal(id, parsed);
        Assert.True(id == parsed);
        Assert.Equal(id.GetHashCode(), parsed.GetHashCode());
        Assert.Equal(bytes, parsed.ToArray());
    }

    [Theory]
    [InlineData("")]
    [InlineData("abc")]
    [InlineData("0000000000000000000000000000000000000000000")]
    [InlineData("11111111111111111111111111111111111111111111111111111111111111111111111111111111")]
    public void Rejects_text_that_is_not_32_bytes_of_base58(string text)
    {
        Assert.False(ContextId.TryParse(text, out _));
        var error = Assert.Throws<FormatException>(() => ContextId.Parse(text));
        Assert.Contains("ContextId", error.Message);
    }

    [Fact]
    public void Refuses_the_wrong_length_of_bytes()
    {
        var error = Assert.Throws<ArgumentException>(() => Hash.FromBytes(new byte[31]));
        Assert.Contains("Hash is 32 bytes, got 31", error.Message);
    }

    [Fact]
    public void Orders_bytewise()
    {
        var low = Hash.FromBytes(new byte[32]);
        var highBytes = new byte[32];
        highBytes[0] = 1;
        Assert.True(low.CompareTo(Hash.FromBytes(highBytes)) < 0);
    }

    [Fact]
    public void Sha256_matches_the_standard_vector() =>
        Assert.Equal(
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
            Convert.ToHexStringLower(Hashing.Sha256("abc"u8).AsSpan()));
}
