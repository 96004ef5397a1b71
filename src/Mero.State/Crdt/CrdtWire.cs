using System.Buffers;

namespace Mero.State.Crdt;

/// <summary>Appends bytes and LEB128 varints.</summary>
internal sealed class CrdtWireWriter(int capacity)
{
    private readonly ArrayBufferWriter<byte> _buffer = new(capacity);

    public void Byte(byte value)
    {
        _buffer.GetSpan(1)[0] = value;
        _buffer.Advance(1);
    }

    public void VarUInt(ulong value)
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

    public void Bytes(ReadOnlySpan<byte> bytes) => _buffer.Write(bytes);

    /// <summary>Length-prefixed bytes.</summary>
    public void Blob(ReadOnlySpan<byte> bytes)
    {
        VarUInt((ulong)bytes.Length);
        _buffer.Write(bytes);
    }

    public byte[] ToArray() => _buffer.WrittenSpan.ToArray();
}

/// <summary>Reads what <see cref="CrdtWireWriter"/> wrote; every malformed input is a <see cref="CrdtException"/>.</summary>
internal ref struct CrdtWireReader(ReadOnlySpan<byte> data)
{
    private readonly ReadOnlySpan<byte> _data = data;
    private int _position;

    public readonly bool AtEnd => _position == _data.Length;

    public byte Byte()
    {
        if (_position >= _data.Length)
        {
            throw Error("unexpected end");
        }

        return _data[_position++];
    }

    public ulong VarUInt()
    {
        ulong value = 0;
        for (var shift = 0; shift < 70; shift += 7)
        {
            var b = Byte();
            if (shift == 63 && b > 1)
            {
                throw Error("varint overflows 64 bits");
            }

            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }

        throw Error("varint too long");
    }

    /// <summary>A varint that must be at most <paramref name="max"/>.</summary>
    public int Count(int max, string what)
    {
        var value = VarUInt();
        return value <= (ulong)max ? (int)value : throw Error($"{what} {value} exceeds {max}");
    }

    public ReadOnlySpan<byte> Fixed(int length)
    {
        if (_data.Length - _position < length)
        {
            throw Error("unexpected end");
        }

        var span = _data.Slice(_position, length);
        _position += length;
        return span;
    }

    public byte[] Blob() => Fixed(Count(_data.Length - _position, "length")).ToArray();

    private readonly CrdtException Error(string message) => new($"invalid delta: {message} (at byte {_position})");
}
