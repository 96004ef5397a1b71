using CsCheck;
using Mero.Primitives;
using Xunit;

namespace Mero.Primitives.Tests;

public class Base58Tests
{
    [Theory]
    [InlineData("", "")]
    [InlineData("00", "1")]
    [InlineData("0000", "11")]
    [InlineData("61", "2g")]
    [InlineData("626262", "a3gV")]
    [InlineData("636363", "aPEr")]
    [InlineData("73696d706c792061206c6f6e6720737472696e67", "2cFupjhnEsSn59qHXstmK2ffpLv2")]
    [InlineData("00eb15231dfceb60925886b67d065299925915aeb172c06647", "1NS17iag9jJgTHD1VXjvLCEnZuQ3rJDE9L")]
    public void Encodes_and_decodes_the_reference_vectors(string hex, string text)
    {
        var bytes = Convert.FromHexString(hex);
        Assert.Equal(text, Base58.Encode(bytes));
        Assert.Equal(bytes, Base58.Decode(text));
    }

    [Theory]
    [InlineData("0OIl")]
    [InlineData("abc!")]
    [InlineData("é")]
    public void Rejects_characters_outside_the_alphabet(string text)
    {
        Assert.False(Base58.TryDecode(text, out _));
        Assert.Throws<FormatException>(() => Base58.Decode(text));
    }

    [Fact]
    public void Round_trips_any_bytes() =>
        Gen.Byte.Array[0, 80].Sample(bytes => Base58.Decode(Base58.Encode(bytes)).AsSpan().SequenceEqual(bytes));
}
