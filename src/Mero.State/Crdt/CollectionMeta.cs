using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Mero.State.Crdt;

/// <summary>
/// A collection's node in the entity tree, loaded into a transaction. Its hash is
/// SHA-256(kind ‖ id ‖ sum of its children's hashes), where children are its entries and its child
/// collections; the root's hash is all zeros while the context is empty. Stored layout: u8 kind,
/// u8 depth, 32-byte parent id, 32-byte child sum, u64 LE live count, then the name.
/// </summary>
internal sealed class CollectionMeta
{
    public const int MaxDepth = 16;
    private const int FixedSize = 1 + 1 + 32 + 32 + 8;

    public required Hash Id { get; init; }

    public required CrdtKind Kind { get; init; }

    public required int Depth { get; init; }

    public required Hash ParentId { get; init; }

    public required byte[] Name { get; init; }

    public Sum256 ChildSum;

    /// <summary>Live entries (map keys, set elements, vector elements); meaningless for counters and text.</summary>
    public long LiveCount { get; set; }

    /// <summary>The hash this collection contributed to its parent when the transaction loaded it; null if it did not exist.</summary>
    public byte[]? CommittedHash { get; set; }

    public bool Dirty { get; set; }

    public bool IsRoot => Kind == CrdtKind.Root;

    public CollectionRef Ref => new(Id, Kind);

    /// <summary>First byte of a top-level name that pins the collection's id (upstream's *_new_with_id): 0xFF ‖ id.</summary>
    public const byte PinnedIdMarker = 0xFF;

    /// <summary>
    /// A collection id: SHA-256 over the parent id, kind and name, so every replica derives the same
    /// id; or, for a top-level name 0xFF ‖ 32-byte id, that id itself (a caller-chosen id).
    /// </summary>
    public static Hash DeriveId(Hash parent, CrdtKind kind, ReadOnlySpan<byte> name)
    {
        if (IsPinned(parent, name))
        {
            var pinned = Hash.FromBytes(name[1..]);
            return pinned != default ? pinned : throw new CrdtException("a collection id must not be all zeros (that is the root)");
        }

        Span<byte> buffer = stackalloc byte[12 + 32 + 1 + name.Length];
        "mero/crdt/v1"u8.CopyTo(buffer);
        parent.AsSpan().CopyTo(buffer[12..]);
        buffer[44] = (byte)kind;
        name.CopyTo(buffer[45..]);
        return Hash.FromBytes(SHA256.HashData(buffer));
    }

    public static bool IsPinned(Hash parent, ReadOnlySpan<byte> name) =>
        parent == default && name.Length == 33 && name[0] == PinnedIdMarker;

    public byte[] ComputeHash()
    {
        var hash = new byte[32];
        if (IsRoot && ChildSum.IsZero)
        {
            return hash;
        }

        Span<byte> buffer = stackalloc byte[1 + 32 + 32];
        buffer[0] = (byte)Kind;
        Id.AsSpan().CopyTo(buffer[1..]);
        ChildSum.Write(buffer[33..]);
        SHA256.HashData(buffer, hash);
        return hash;
    }

    public byte[] Encode()
    {
        var bytes = new byte[FixedSize + Name.Length];
        bytes[0] = (byte)Kind;
        bytes[1] = (byte)Depth;
        ParentId.AsSpan().CopyTo(bytes.AsSpan(2));
        ChildSum.Write(bytes.AsSpan(34));
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(66), LiveCount);
        Name.CopyTo(bytes.AsSpan(FixedSize));
        return bytes;
    }

    public static CollectionMeta Decode(Hash id, byte[] bytes)
    {
        if (bytes.Length < FixedSize || bytes[0] > (byte)CrdtKind.Text || bytes[1] > MaxDepth)
        {
            throw new CrdtException($"corrupt collection metadata for {id}");
        }

        var meta = new CollectionMeta
        {
            Id = id,
            Kind = (CrdtKind)bytes[0],
            Depth = bytes[1],
            ParentId = Hash.FromBytes(bytes.AsSpan(2, 32)),
            Name = bytes.AsSpan(FixedSize).ToArray(),
            LiveCount = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(66)),
        };
        meta.ChildSum = Sum256.Read(bytes.AsSpan(34));

        // The root has no parent to update, so it never needs the hash it was loaded with.
        meta.CommittedHash = meta.IsRoot ? null : meta.ComputeHash();
        return meta;
    }

    public static CollectionMeta NewRoot() => new()
    {
        Id = default,
        Kind = CrdtKind.Root,
        Depth = 0,
        ParentId = default,
        Name = [],
        CommittedHash = new byte[32],
    };
}
