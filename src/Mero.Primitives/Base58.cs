using System.Numerics;

namespace Mero.Primitives;

/// <summary>Bitcoin-alphabet base58, the text form upstream uses for ids and keys.</summary>
public static class Base58
{
    private const string Alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    private static readonly sbyte[] Digits = BuildDigits();

    private static sbyte[] BuildDigits()
    {
        var digits = new sbyte[128];
        Array.Fill(digits, (sbyte)-1);
        for (var i = 0; i < Alphabet.Length; i++)
        {
            digits[Alphabet[i]] = (sbyte)i;
        }

        return digits;
    }

    public static string Encode(ReadOnlySpan<byte> data)
    {
        var leadingZeros = 0;
        while (leadingZeros < data.Length && data[leadingZeros] == 0)
        {
            leadingZeros++;
        }

        // Base-256 to base-58 by repeated division over a little buffer; fine for ids of tens of bytes.
        var size = ((data.Length - leadingZeros) * 138 / 100) + 1;
        Span<byte> buffer = size <= 256 ? stackalloc byte[size] : new byte[size];
        buffer.Clear();
        var length = 0;
        for (var i = leadingZeros; i < data.Length; i++)
        {
            int carry = data[i];
            var j = 0;
            for (var k = size - 1; (carry != 0 || j < length) && k >= 0; k--, j++)
            {
                carry += 256 * buffer[k];
                buffer[k] = (byte)(carry % 58);
                carry /= 58;
            }

            length = j;
        }

        var start = size - length;
        while (start < size && buffer[start] == 0)
        {
            start++;
        }

        return string.Create(leadingZeros + (size - start), (leadingZeros, start, buffer.ToArray()), static (chars, state) =>
        {
            var (zeros, begin, digits) = state;
            chars[..zeros].Fill('1');
            for (var i = begin; i < digits.Length; i++)
            {
                chars[zeros + i - begin] = Alphabet[digits[i]];
            }
        });
    }

    public static byte[] Decode(string text)
    {
        if (!TryDecode(text, out var bytes))
        {
            throw new FormatException("invalid base58 string");
        }

        return bytes;
    }

    public static bool TryDecode(string? text, out byte[] bytes)
    {
        bytes = [];
        if (text is null)
        {
            return false;
        }

        var leadingOnes = 0;
        while (leadingOnes < text.Length && text[leadingOnes] == '1')
        {
            leadingOnes++;
        }

        BigInteger value = BigInteger.Zero;
        for (var i = leadingOnes; i < text.Length; i++)
        {
            var c = text[i];
            if (c >= 128 || Digits[c] < 0)
            {
                return false;
            }

            value = (value * 58) + Digits[c];
        }

        var body = value.IsZero ? [] : value.ToByteArray(isUnsigned: true, isBigEndian: true);
        bytes = new byte[leadingOnes + body.Length];
        body.CopyTo(bytes, leadingOnes);
        return true;
    }
}
