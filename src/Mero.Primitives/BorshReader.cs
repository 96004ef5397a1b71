using System.Buffers.Binary;
using System.Text;

namespace Mero.Primitives;

/// <summary>Thrown for bytes that are not a valid encoding: truncated, oversized, bad tag or UTF-8.</summary>
public sealed class BorshException(string message) : FormatException(message);

/// <summary>
/// Reads borsh from untrusted bytes. Every length is checked against what remains before anything
/// is allocated, so a hostile length prefix cannot make us allocate gigabytes.
/// </summary>
public ref struct BorshReader
{
    private readonly ReadOnlySpan<byte> _data;
    private int _position;

    public BorshReader(ReadOnlySpan<byte> data)
    {
        _data = data;
        _position = 0;
    }

    public readonly int Remaining => _data.Length - _position;

    public readonly bool IsAtEnd => _position == _data.Length;

    public byte ReadU8() => Take(1)[0];

    public bool ReadBool() => ReadU8() switch
    {
        0 => false,
        1 => true,
        var b => throw new BorshException($"invalid bool byte {b}"),
    };

    public ushort ReadU16() => BinaryPrimitives.ReadUInt16LittleEndian(Take(2));

    public uint ReadU32() => BinaryPrimitives.ReadUInt32LittleEndian(Take(4));

    public ulong ReadU64() => BinaryPrimitives.ReadUInt64LittleEndian(Take(8));

    public long ReadI64() => unchecked((long)ReadU64());

    public UInt128 ReadU128() => BinaryPrimitives.ReadUInt128LittleEndian(Take(16));

    public ReadOnlySpan<byte> ReadFixed(int length) => Take(length);

    public byte[] ReadBytes(int maxLength = int.MaxValue) => ReadBytesSpan(maxLength).ToArray();

    /// <summary>A byte vector as a view into the input, for callers that copy it somewhere themselves.</summary>
    public ReadOnlySpan<byte> ReadBytesSpan(int maxLength = int.MaxValue) => Take(ReadLength(maxLength, "byte vector"));

    public string ReadString(int maxBytes = int.MaxValue)
    {
        var length = ReadLength(maxBytes, "string");
        try
        {
            return StrictUtf8.GetString(Take(length));
        }
        catch (DecoderFallbackException)
        {
            throw new BorshException("string is not valid UTF-8");
        }
    }

    public string? ReadOptionalString(int maxBytes = int.MaxValue) => ReadOptionTag() ? ReadString(maxBytes) : null;

    public Id32<TKind> ReadId<TKind>()
        where TKind : IIdKind => Id32<TKind>.FromBytes(Take(Bytes32.Length));

    public bool ReadOptionTag() => ReadU8() switch
    {
        0 => false,
        1 => true,
        var b => throw new BorshException($"invalid option tag {b}"),
    };

    /// <summary>A u32 element count, refused when the remaining bytes could not hold that many elements.</summary>
    public int ReadCount(int minElementSize, int maxCount = int.MaxValue)
    {
        var count = ReadU32();
        if (count > (uint)maxCount)
        {
            throw new BorshException($"collection of {count} elements exceeds the limit of {maxCount}");
        }

        if (minElementSize > 0 && (ulong)count * (ulong)minElementSize > (ulong)Remaining)
        {
            throw new BorshException($"collection of {count} elements does not fit in the {Remaining} bytes left");
        }

        return (int)count;
    }

    public readonly void EnsureEnd()
    {
        if (!IsAtEnd)
        {
            throw new BorshException($"{Remaining} unexpected trailing bytes");
        }
    }

    private int ReadLength(int max, string what)
    {
        var length = ReadU32();
        if (length > (uint)max)
        {
            throw new BorshException($"{what} of {length} bytes exceeds the limit of {max}");
        }

        if (length > (uint)Remaining)
        {
            throw new BorshException($"{what} of {length} bytes is longer than the {Remaining} bytes left");
        }

        return (int)length;
    }

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count > Remaining)
        {
            throw new BorshException($"unexpected end of data: needed {count} bytes, {Remaining} left");
        }

        var slice = _data.Slice(_position, count);
        _position += count;
        return slice;
    }

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
}
