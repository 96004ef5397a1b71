using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Mero.Governance;

/// <summary>
/// Order-independent hash of a record set: the sum mod 2^256 of SHA-256(len ‖ key ‖ value) over
/// all records. Adding or removing one record costs one SHA-256, so every op can carry the
/// current state hash without rehashing the whole state.
/// </summary>
internal sealed class StateHashAccumulator
{
    private readonly ulong[] _limbs = new ulong[4];

    public void Add(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value) => Combine(key, value, subtract: false);

    public void Remove(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value) => Combine(key, value, subtract: true);

    public Hash Current
    {
        get
        {
            Span<byte> bytes = stackalloc byte[32];
            for (var i = 0; i < 4; i++)
            {
                BinaryPrimitives.WriteUInt64LittleEndian(bytes[(i * 8)..], _limbs[i]);
            }

            return Hash.FromBytes(bytes);
        }
    }

    private void Combine(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, bool subtract)
    {
        Span<byte> digest = stackalloc byte[32];
        var length = 4 + key.Length + value.Length;
        var rented = length <= 512 ? null : System.Buffers.ArrayPool<byte>.Shared.Rent(length);
        var buffer = rented is null ? stackalloc byte[length] : rented.AsSpan(0, length);
        BinaryPrimitives.WriteInt32LittleEndian(buffer, key.Length);
        key.CopyTo(buffer[4..]);
        value.CopyTo(buffer[(4 + key.Length)..]);
        SHA256.HashData(buffer, digest);
        if (rented is not null)
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(rented);
        }

        ulong carry = 0;
        for (var i = 0; i < 4; i++)
        {
            var limb = BinaryPrimitives.ReadUInt64LittleEndian(digest[(i * 8)..]);
            if (subtract)
            {
                var result = _limbs[i] - limb - carry;
                carry = (_limbs[i] < limb || (_limbs[i] - limb) < carry) ? 1UL : 0UL;
                _limbs[i] = result;
            }
            else
            {
                var sum = _limbs[i] + limb;
                var c1 = sum < limb ? 1UL : 0UL;
                var total = sum + carry;
                var c2 = total < sum ? 1UL : 0UL;
                _limbs[i] = total;
                carry = c1 | c2;
            }
        }
    }
}
