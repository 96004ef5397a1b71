namespace Mero.Network.Multiformats;

/// <summary>
/// Unsigned LEB128 integers as multiformats uses them (uvarint): 7 bits a byte, least significant
/// group first, at most 9 bytes (63 bits), minimal encoding only.
/// </summary>
public static class Varint
{
    public const int MaxLength = 9;

    public static int Length(ulong value)
    {
        var length = 1;
        while (value >= 0x80)
        {
            value >>= 7;
            length++;
        }

        return length;
    }

    public static int Write(ulong value, Span<byte> destination)
    {
        var i = 0;
        while (value >= 0x80)
        {
            destination[i++] = (byte)(value | 0x80);
            value >>= 7;
        }

        destination[i++] = (byte)value;
        return i;
    }

    public static byte[] Encode(ulong value)
    {
        var bytes = new byte[Length(value)];
        Write(value, bytes);
        return bytes;
    }

    /// <summary>
    /// Reads one uvarint from the front of <paramref name="source"/>. Returns false when the bytes
    /// end inside the number (<paramref name="consumed"/> is 0); throws <see cref="FormatException"/>
    /// for a number longer than 9 bytes or a non-minimal encoding.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> source, out ulong value, out int consumed)
    {
        value = 0;
        consumed = 0;
        for (var i = 0; i < source.Length; i++)
        {
            if (i >= MaxLength)
            {
                throw new FormatException("uvarint longer than 9 bytes");
            }

            var b = source[i];
            value |= (ulong)(b & 0x7F) << (7 * i);
            if (b < 0x80)
            {
                if (b == 0 && i > 0)
                {
                    throw new FormatException("uvarint is not minimally encoded");
                }

                consumed = i + 1;
                return true;
            }
        }

        value = 0;
        return false;
    }

    public static ulong Read(ReadOnlySpan<byte> source, out int consumed) =>
        TryRead(source, out var value, out consumed) ? value : throw new FormatException("truncated uvarint");

    /// <summary>
    /// Reads a uvarint from a stream one byte at a time, so nothing after it is consumed. Returns
    /// null on a clean end of stream before the first byte.
    /// </summary>
    public static async ValueTask<ulong?> ReadAsync(Stream stream, CancellationToken ct)
    {
        var one = new byte[1];
        ulong value = 0;
        for (var i = 0; ; i++)
        {
            if (i >= MaxLength)
            {
                throw new FormatException("uvarint longer than 9 bytes");
            }

            var n = await stream.ReadAsync(one, ct).ConfigureAwait(false);
            if (n == 0)
            {
                return i == 0 ? null : throw new EndOfStreamException("stream ended inside a uvarint");
            }

            var b = one[0];
            value |= (ulong)(b & 0x7F) << (7 * i);
            if (b < 0x80)
            {
                if (b == 0 && i > 0)
                {
                    throw new FormatException("uvarint is not minimally encoded");
                }

                return value;
            }
        }
    }
}
