using System.Buffers;
using System.Text;

namespace Mero.State.Text;

/// <summary>Appends LEB128 varints, keys and UTF-8 to a growable buffer.</summary>
internal sealed class RgaWireWriter(int capacity = 64)
{
    private readonly ArrayBufferWriter<byte> _buffer = new(capacity);

    public void Byte(byte value)
    {
        _buffer.GetSpan(1)[0] = value;
        _buffer.Advance(1);
    }

    public void VarUInt(uint value)
    {
        var span = _buffer.GetSpan(5);
        var n = 0;
        while (value >= 0x80)
        {
            span[n++] = (byte)(value | 0x80);
            value >>= 7;
        }

        span[n++] = (byte)value;
        _buffer.Advance(n);
    }

    public void VarInt(int value) => VarUInt((uint)value);

    public void VarULong(ulong value)
    {
        var span = _buffer.GetSpan(10);
        var n = 0;
        while (value >= 0x80)
        {
            span[n++] = (byte)(value | 0x80);
            value >>= 7;
        }

        span[n++] = (byte)value;
        _buffer.Advance(n);
    }

    /// <summary>Zigzag over 64 bits.</summary>
    public void SignedVarLong(long value) => VarULong((ulong)((value << 1) ^ (value >> 63)));

    /// <summary>Zigzag, so small negative deltas stay small.</summary>
    public void SignedVarInt(long value) => VarUInt(checked((uint)((value << 1) ^ (value >> 63))));

    public void Key(PublicKey key) => _buffer.Write(key.AsSpan());

    public void Utf8(string text)
    {
        var count = Encoding.UTF8.GetByteCount(text);
        var span = _buffer.GetSpan(count);
        Encoding.UTF8.GetBytes(text, span);
        _buffer.Advance(count);
    }

    public void Utf8(ReadOnlySpan<char> chars)
    {
        var count = Encoding.UTF8.GetByteCount(chars);
        var span = _buffer.GetSpan(count);
        Encoding.UTF8.GetBytes(chars, span);
        _buffer.Advance(count);
    }

    /// <summary>UTF-8 of code points already known to be valid scalar values.</summary>
    public void Utf8(ReadOnlySpan<int> codePoints)
    {
        foreach (var cp in codePoints)
        {
            if (cp < 0x80)
            {
                Byte((byte)cp);
            }
            else
            {
                var span = _buffer.GetSpan(4);
                _buffer.Advance(new Rune(cp).EncodeToUtf8(span));
            }
        }
    }

    public byte[] ToArray() => _buffer.WrittenSpan.ToArray();
}

/// <summary>Reads what <see cref="RgaWireWriter"/> writes from untrusted bytes; every failure is an <see cref="RgaFormatException"/>.</summary>
internal ref struct RgaWireReader(ReadOnlySpan<byte> data, string what)
{
    private readonly ReadOnlySpan<byte> _data = data;
    private readonly string _what = what;
    private int _position;

    public readonly int Remaining => _data.Length - _position;

    public readonly bool AtEnd => _position == _data.Length;

    public readonly RgaFormatException Error(string message) => new($"invalid {_what}: {message} (at byte {_position})");

    public byte Byte()
    {
        if (_position >= _data.Length)
        {
            throw Error("unexpected end of data");
        }

        return _data[_position++];
    }

    public uint VarUInt()
    {
        uint value = 0;
        for (var shift = 0; shift < 35; shift += 7)
        {
            var b = Byte();
            if (shift == 28 && b > 0x0F)
            {
                throw Error("varint overflows 32 bits");
            }

            value |= (uint)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                if (b == 0 && shift > 0)
                {
                    throw Error("non-canonical varint");
                }

                return value;
            }
        }

        throw Error("varint too long");
    }

    /// <summary>A non-negative int no larger than max.</summary>
    public int Int(string field, int max = int.MaxValue)
    {
        var value = VarUInt();
        if (value > (uint)max)
        {
            throw Error($"{field} {value} exceeds {max}");
        }

        return (int)value;
    }

    public ulong VarULong()
    {
        ulong value = 0;
        for (var shift = 0; shift < 70; shift += 7)
        {
            var b = Byte();
            if (shift == 63 && b > 0x01)
            {
                throw Error("varint overflows 64 bits");
            }

            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                if (b == 0 && shift > 0)
                {
                    throw Error("non-canonical varint");
                }

                return value;
            }
        }

        throw Error("varint too long");
    }

    public long SignedVarLong()
    {
        var raw = VarULong();
        return (long)(raw >> 1) ^ -(long)(raw & 1);
    }

    public long SignedVarInt()
    {
        var raw = VarUInt();
        return (long)(raw >> 1) ^ -(long)(raw & 1);
    }

    public PublicKey Key()
    {
        if (Remaining < Bytes32Length)
        {
            throw Error("truncated replica key");
        }

        var key = PublicKey.FromBytes(_data.Slice(_position, Bytes32Length));
        _position += Bytes32Length;
        return key;
    }

    /// <summary>The rest of the input, which must be strict UTF-8.</summary>
    public string RestAsUtf8()
    {
        try
        {
            var text = StrictUtf8.GetString(_data[_position..]);
            _position = _data.Length;
            return text;
        }
        catch (DecoderFallbackException)
        {
            throw Error("text is not valid UTF-8");
        }
    }

    /// <summary>Decodes the next code point of strict UTF-8.</summary>
    public int CodePoint()
    {
        if (Rune.DecodeFromUtf8(_data[_position..], out var rune, out var consumed) != OperationStatus.Done)
        {
            throw Error(AtEnd ? "text ends early" : "text is not valid UTF-8");
        }

        _position += consumed;
        return rune.Value;
    }

    public readonly void EnsureEnd()
    {
        if (!AtEnd)
        {
            throw Error($"{Remaining} trailing bytes");
        }
    }

    private const int Bytes32Length = 32;
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
}
