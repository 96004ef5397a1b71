using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using Mero.Primitives.Clock;

namespace Mero.State.Crdt;

/// <summary>
/// One leaf of the entity tree as stored: the HLC stamp of the write that won, a tombstone flag
/// and the value. Layout: u64 LE time, 32-byte node key, u8 flags (1 = removed), value bytes.
/// A removal keeps its stamp so an older concurrent write cannot bring the value back.
/// </summary>
internal readonly struct CrdtEntry
{
    public const int HeaderSize = 8 + 32 + 1;
    private const byte TombstoneFlag = 1;

    public CrdtEntry(byte[] record) => Record = record;

    /// <summary>The stored bytes (never null for an existing entry).</summary>
    public byte[] Record { get; }

    public bool Exists => Record is not null;

    public bool IsTombstone => (Record[40] & TombstoneFlag) != 0;

    public bool IsLive => Exists && !IsTombstone;

    public ulong Time => BinaryPrimitives.ReadUInt64LittleEndian(Record);

    public PublicKey Node => PublicKey.FromBytes(Record.AsSpan(8, 32));

    public HybridTimestamp Stamp => new(Time, Node);

    public ReadOnlySpan<byte> Value => Record.AsSpan(HeaderSize);

    public static CrdtEntry Create(HybridTimestamp stamp, bool tombstone, ReadOnlySpan<byte> value)
    {
        var record = new byte[HeaderSize + value.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(record, stamp.Time);
        stamp.Node.AsSpan().CopyTo(record.AsSpan(8));
        record[40] = tombstone ? TombstoneFlag : (byte)0;
        value.CopyTo(record.AsSpan(HeaderSize));
        return new CrdtEntry(record);
    }

    /// <summary>Validates a stored record's shape (the store is trusted, but a short record would crash reads).</summary>
    public static CrdtEntry FromStored(byte[]? record)
    {
        if (record is null)
        {
            return default;
        }

        if (record.Length < HeaderSize)
        {
            throw new CrdtException($"corrupt CRDT entry of {record.Length} bytes");
        }

        return new CrdtEntry(record);
    }

    /// <summary>The leaf hash: SHA-256(u32 LE key length ‖ item key ‖ record). Covers stamp, tombstone and value.</summary>
    public static void LeafHash(ReadOnlySpan<byte> itemKey, ReadOnlySpan<byte> record, Span<byte> destination)
    {
        var length = 4 + itemKey.Length + record.Length;
        var rented = length <= 512 ? null : ArrayPool<byte>.Shared.Rent(length);
        var buffer = rented is null ? stackalloc byte[length] : rented.AsSpan(0, length);
        BinaryPrimitives.WriteInt32LittleEndian(buffer, itemKey.Length);
        itemKey.CopyTo(buffer[4..]);
        record.CopyTo(buffer[(4 + itemKey.Length)..]);
        SHA256.HashData(buffer, destination);
        if (rented is not null)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }
}
