using System.Buffers.Binary;

namespace Mero.Primitives.Clock;

/// <summary>
/// A hybrid logical clock reading: 64-bit time (physical milliseconds &lt;&lt; 16 | 16-bit logical
/// counter) plus the issuing node's public key as the final tie-break. Ordered by time, then by the
/// node key bytes, so two nodes never produce equal stamps and every replica orders them alike.
/// </summary>
public readonly struct HybridTimestamp : IEquatable<HybridTimestamp>, IComparable<HybridTimestamp>
{
    /// <summary>Bits of <see cref="Time"/> that hold the logical counter.</summary>
    public const int CounterBits = 16;

    /// <summary>Borsh size: u64 time then the 32-byte node key.</summary>
    public const int BorshSize = 8 + Bytes32.Length;

    /// <summary>Upper bound of the compact form: a 10-byte LEB128 time then the key.</summary>
    public const int MaxCompactSize = 10 + Bytes32.Length;

    public HybridTimestamp(ulong time, PublicKey node)
    {
        Time = time;
        Node = node;
    }

    /// <summary>Physical milliseconds in the high 48 bits, logical counter in the low 16.</summary>
    public ulong Time { get; }

    public PublicKey Node { get; }

    public ulong PhysicalMilliseconds => Time >> CounterBits;

    public ushort Counter => (ushort)Time;

    public static ulong Pack(ulong physicalMilliseconds, ushort counter) => (physicalMilliseconds << CounterBits) | counter;

    public int CompareTo(HybridTimestamp other)
    {
        var byTime = Time.CompareTo(other.Time);
        return byTime != 0 ? byTime : Node.CompareTo(other.Node);
    }

    public bool Equals(HybridTimestamp other) => Time == other.Time && Node == other.Node;

    public override bool Equals(object? obj) => obj is HybridTimestamp other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(Time, Node);

    public override string ToString() => $"{PhysicalMilliseconds}.{Counter}@{Node}";

    public static bool operator ==(HybridTimestamp left, HybridTimestamp right) => left.Equals(right);

    public static bool operator !=(HybridTimestamp left, HybridTimestamp right) => !left.Equals(right);

    public static bool operator <(HybridTimestamp left, HybridTimestamp right) => left.CompareTo(right) < 0;

    public static bool operator >(HybridTimestamp left, HybridTimestamp right) => left.CompareTo(right) > 0;

    public static bool operator <=(HybridTimestamp left, HybridTimestamp right) => left.CompareTo(right) <= 0;

    public static bool operator >=(HybridTimestamp left, HybridTimestamp right) => left.CompareTo(right) >= 0;

    /// <summary>Borsh: time as u64 little-endian, then the 32 key bytes.</summary>
    public void WriteBorsh(BorshWriter writer) => writer.WriteU64(Time).WriteId(Node);

    public static HybridTimestamp ReadBorsh(ref BorshReader reader)
    {
        var time = reader.ReadU64();
        return new(time, reader.ReadId<IdKinds.PublicKey>());
    }

    /// <summary>Compact form: time as unsigned LEB128, then the 32 key bytes. Returns bytes written.</summary>
    public int WriteCompact(Span<byte> destination)
    {
        if (destination.Length < MaxCompactSize)
        {
            throw new ArgumentException($"need {MaxCompactSize} bytes for a compact timestamp", nameof(destination));
        }

        var n = 0;
        var value = Time;
        while (value >= 0x80)
        {
            destination[n++] = (byte)(value | 0x80);
            value >>= 7;
        }

        destination[n++] = (byte)value;
        Node.AsSpan().CopyTo(destination[n..]);
        return n + Bytes32.Length;
    }

    public byte[] ToCompact()
    {
        Span<byte> buffer = stackalloc byte[MaxCompactSize];
        return buffer[..WriteCompact(buffer)].ToArray();
    }

    /// <summary>Reads the compact form; throws <see cref="BorshException"/> on truncated or overlong input.</summary>
    public static HybridTimestamp ReadCompact(ReadOnlySpan<byte> source, out int consumed)
    {
        ulong time = 0;
        var n = 0;
        for (var shift = 0; ; shift += 7)
        {
            if (n >= source.Length)
            {
                throw new BorshException("compact timestamp: truncated time");
            }

            var b = source[n++];
            if (shift == 63 && b > 1)
            {
                throw new BorshException("compact timestamp: time overflows 64 bits");
            }

            time |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                // A trailing zero group means a non-canonical (padded) encoding.
                if (b == 0 && n > 1)
                {
                    throw new BorshException("compact timestamp: non-canonical time");
                }

                break;
            }
        }

        if (source.Length - n < Bytes32.Length)
        {
            throw new BorshException("compact timestamp: truncated node key");
        }

        consumed = n + Bytes32.Length;
        return new(time, PublicKey.FromBytes(source.Slice(n, Bytes32.Length)));
    }

    /// <summary>Reads the borsh form from a span; convenience over <see cref="ReadBorsh"/>.</summary>
    public static HybridTimestamp FromBorsh(ReadOnlySpan<byte> source)
    {
        if (source.Length != BorshSize)
        {
            throw new BorshException($"a timestamp is {BorshSize} bytes, got {source.Length}");
        }

        return new(BinaryPrimitives.ReadUInt64LittleEndian(source), PublicKey.FromBytes(source[8..]));
    }
}
