using System.Buffers.Binary;

namespace Mero.State.Crdt;

/// <summary>
/// A 256-bit sum modulo 2^256 of child hashes. Addition commutes, so a parent's summary of its
/// children is the same whatever order they were added in, and one child changes it in O(1).
/// </summary>
public struct Sum256 : IEquatable<Sum256>
{
    public const int Size = 32;

    private ulong _a;
    private ulong _b;
    private ulong _c;
    private ulong _d;

    public readonly bool IsZero => (_a | _b | _c | _d) == 0;

    public static Sum256 Read(ReadOnlySpan<byte> bytes) => new()
    {
        _a = BinaryPrimitives.ReadUInt64LittleEndian(bytes),
        _b = BinaryPrimitives.ReadUInt64LittleEndian(bytes[8..]),
        _c = BinaryPrimitives.ReadUInt64LittleEndian(bytes[16..]),
        _d = BinaryPrimitives.ReadUInt64LittleEndian(bytes[24..]),
    };

    public readonly void Write(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(destination, _a);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[8..], _b);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[16..], _c);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[24..], _d);
    }

    public void Add(ReadOnlySpan<byte> hash)
    {
        var other = Read(hash);
        ulong carry = 0;
        _a = AddWithCarry(_a, other._a, ref carry);
        _b = AddWithCarry(_b, other._b, ref carry);
        _c = AddWithCarry(_c, other._c, ref carry);
        _d = AddWithCarry(_d, other._d, ref carry);
    }

    public void Subtract(ReadOnlySpan<byte> hash)
    {
        var other = Read(hash);
        ulong borrow = 0;
        _a = SubtractWithBorrow(_a, other._a, ref borrow);
        _b = SubtractWithBorrow(_b, other._b, ref borrow);
        _c = SubtractWithBorrow(_c, other._c, ref borrow);
        _d = SubtractWithBorrow(_d, other._d, ref borrow);
    }

    public readonly bool Equals(Sum256 other) => _a == other._a && _b == other._b && _c == other._c && _d == other._d;

    public override readonly bool Equals(object? obj) => obj is Sum256 other && Equals(other);

    public override readonly int GetHashCode() => HashCode.Combine(_a, _b, _c, _d);

    private static ulong AddWithCarry(ulong x, ulong y, ref ulong carry)
    {
        var sum = x + y;
        var c1 = sum < x ? 1UL : 0UL;
        var result = sum + carry;
        var c2 = result < sum ? 1UL : 0UL;
        carry = c1 | c2;
        return result;
    }

    private static ulong SubtractWithBorrow(ulong x, ulong y, ref ulong borrow)
    {
        var diff = x - y;
        var b1 = x < y ? 1UL : 0UL;
        var result = diff - borrow;
        var b2 = diff < borrow ? 1UL : 0UL;
        borrow = b1 | b2;
        return result;
    }
}
