using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Mero.Primitives;

/// <summary>
/// Borsh encoding (little-endian integers, u32 length prefixes, u8 option tags), the canonical
/// byte form for everything we sign, hash or persist.
/// </summary>
public sealed class BorshWriter
{
    private readonly ArrayBufferWriter<byte> _buffer;

    public BorshWriter(int initialCapacity = 256) => _buffer = new ArrayBufferWriter<byte>(initialCapacity);

    public int Length => _buffer.WrittenCount;

    public ReadOnlySpan<byte> WrittenSpan => _buffer.WrittenSpan;

    public byte[] ToArray() => _buffer.WrittenSpan.ToArray();

    /// <summary>Forgets what was written but keeps the buffer, so a writer reused for large pages allocates once.</summary>
    public void Clear() => _buffer.ResetWrittenCount();

    public BorshWriter WriteU8(byte value)
    {
        _buffer.GetSpan(1)[0] = value;
        _buffer.Advance(1);
        return this;
    }

    public BorshWriter WriteBool(bool value) => WriteU8(value ? (byte)1 : (byte)0);

    public BorshWriter WriteU16(ushort value)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(_buffer.GetSpan(2), value);
        _buffer.Advance(2);
        return this;
    }

    public BorshWriter WriteU32(uint value)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(_buffer.GetSpan(4), value);
        _buffer.Advance(4);
        return this;
    }

    public BorshWriter WriteU64(ulong value)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(_buffer.GetSpan(8), value);
        _buffer.Advance(8);
        return this;
    }

    public BorshWriter WriteI64(long value) => WriteU64(unchecked((ulong)value));

    public BorshWriter WriteU128(UInt128 value)
    {
        BinaryPrimitives.WriteUInt128LittleEndian(_buffer.GetSpan(16), value);
        _buffer.Advance(16);
        return this;
    }

    /// <summary>Fixed-size bytes (arrays like [u8; 32]): no length prefix.</summary>
    public BorshWriter WriteFixed(ReadOnlySpan<byte> bytes)
    {
        _buffer.Write(bytes);
        return this;
    }

    /// <summary>Vec&lt;u8&gt;: u32 length, then the bytes.</summary>
    public BorshWriter WriteBytes(ReadOnlySpan<byte> bytes)
    {
        WriteU32(checked((uint)bytes.Length));
        return WriteFixed(bytes);
    }

    public BorshWriter WriteString(string value)
    {
        var count = Encoding.UTF8.GetByteCount(value);
        WriteU32(checked((uint)count));
        var span = _buffer.GetSpan(count);
        Encoding.UTF8.GetBytes(value, span);
        _buffer.Advance(count);
        return this;
    }

    public BorshWriter WriteId<TKind>(Id32<TKind> id)
        where TKind : IIdKind => WriteFixed(id.AsSpan());

    public BorshWriter WriteOption<T>(T? value, Action<BorshWriter, T> write)
        where T : class
    {
        if (value is null)
        {
            return WriteU8(0);
        }

        WriteU8(1);
        write(this, value);
        return this;
    }

    public BorshWriter WriteOptionalString(string? value) => WriteOption(value, static (w, v) => w.WriteString(v));

    public BorshWriter WriteVec<T>(IReadOnlyCollection<T> items, Action<BorshWriter, T> write)
    {
        WriteU32(checked((uint)items.Count));
        foreach (var item in items)
        {
            write(this, item);
        }

        return this;
    }
}
