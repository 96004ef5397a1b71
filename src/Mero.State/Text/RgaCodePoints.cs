namespace Mero.State.Text;

/// <summary>Counting and reading code points of UTF-16 strings; unpaired surrogates are refused.</summary>
internal static class RgaCodePoints
{
    public static int Count(string text)
    {
        var n = 0;
        for (var i = 0; i < text.Length; i++, n++)
        {
            var c = text[i];
            if (char.IsSurrogate(c))
            {
                if (!char.IsHighSurrogate(c) || i + 1 >= text.Length || !char.IsLowSurrogate(text[i + 1]))
                {
                    throw new ArgumentException($"text has an unpaired surrogate at UTF-16 index {i}", nameof(text));
                }

                i++;
            }
        }

        return n;
    }

    /// <summary>Writes the code points of an already validated string into destination.</summary>
    public static void Copy(string text, Span<int> destination)
    {
        var n = 0;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c))
            {
                destination[n++] = char.ConvertToUtf32(c, text[++i]);
            }
            else
            {
                destination[n++] = c;
            }
        }
    }

    /// <summary>Appends code points to a UTF-16 buffer; returns chars written.</summary>
    public static int ToUtf16(ReadOnlySpan<int> codePoints, Span<char> destination)
    {
        var n = 0;
        foreach (var cp in codePoints)
        {
            if (cp < 0x10000)
            {
                destination[n++] = (char)cp;
            }
            else
            {
                destination[n++] = (char)(((cp - 0x10000) >> 10) + 0xD800);
                destination[n++] = (char)(((cp - 0x10000) & 0x3FF) + 0xDC00);
            }
        }

        return n;
    }
}
