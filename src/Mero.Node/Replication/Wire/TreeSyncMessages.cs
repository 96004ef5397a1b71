using Mero.Primitives;
using Mero.Primitives.Clock;
using Mero.State.Crdt;

namespace Mero.Node.Replication.Wire;

/// <summary>
/// Hash-tree comparison: the collection <see cref="NodeId"/> (the zero id is the root) with its
/// children's hashes, and the collections below it down to <see cref="MaxDepth"/> levels (none:
/// that node only; clamped to <see cref="WireLimits.MaxTreeRequestDepth"/>). <see cref="LeafKeys"/>
/// asks for the full leaves (entries) of that node with these item keys, for a CRDT merge.
/// </summary>
public sealed record TreeNodeRequest(ContextId ContextId, PublicKey PartyId, Hash NodeId, byte? MaxDepth, IReadOnlyList<byte[]> LeafKeys) : SyncRequest
{
    internal const byte VariantTag = 8;

    private protected override byte Tag => VariantTag;

    private protected override void WriteBody(BorshWriter writer)
    {
        writer.WriteId(ContextId).WriteId(PartyId).WriteId(NodeId);
        if (MaxDepth is { } depth)
        {
            writer.WriteU8(1).WriteU8(depth);
        }
        else
        {
            writer.WriteU8(0);
        }

        writer.WriteVec(LeafKeys, static (w, k) => w.WriteBytes(k));
    }

    internal static TreeNodeRequest ReadBody(ref BorshReader reader)
    {
        var context = reader.ReadId<IdKinds.Context>();
        var party = reader.ReadId<IdKinds.PublicKey>();
        var node = reader.ReadId<IdKinds.Hash>();

        // Upstream's rule: a requested depth is clamped so no peer can force an unbounded walk.
        byte? depth = reader.ReadOptionTag() ? Math.Min(reader.ReadU8(), (byte)WireLimits.MaxTreeRequestDepth) : null;
        var count = reader.ReadCount(4, WireLimits.MaxTreeLeafKeys);
        var keys = new byte[count][];
        for (var i = 0; i < count; i++)
        {
            keys[i] = reader.ReadBytes(CrdtLeaf.MaxItemKeyBytes);
        }

        return new TreeNodeRequest(context, party, node, depth, keys);
    }
}

/// <summary>
/// Leaves the requester has and the responder lacks (or has older), sealed under the context key
/// (<see cref="TreeLeafSealing"/>, <see cref="TreeLeafUse.Push"/>; ≤ <see cref="WireLimits.MaxEntityPushLeaves"/>
/// inside): merged by CRDT rules, each checked by the authorization gate.
/// </summary>
public sealed record EntityPush(ContextId ContextId, PublicKey PartyId, byte[] SealedEntities) : SyncRequest
{
    internal const byte VariantTag = 9;

    private protected override byte Tag => VariantTag;

    private protected override void WriteBody(BorshWriter writer) =>
        writer.WriteId(ContextId).WriteId(PartyId).WriteBytes(SealedEntities);

    internal static EntityPush ReadBody(ref BorshReader reader)
    {
        var context = reader.ReadId<IdKinds.Context>();
        var party = reader.ReadId<IdKinds.PublicKey>();
        return new EntityPush(context, party, reader.ReadBytes(WireLimits.MaxEntityPushBytes));
    }
}

/// <summary>
/// The answer to a <see cref="TreeNodeRequest"/>: the node and its descendants (breadth first, the
/// requested node first), plain (they carry only ids, names and hashes); when leaves were asked
/// for, those that exist, sealed under the context key (<see cref="TreeLeafSealing"/>,
/// <see cref="TreeLeafUse.Answer"/>; ≤ <see cref="WireLimits.MaxTreeLeafKeys"/> inside).
/// <see cref="NotFound"/> when the responder has no such collection.
/// </summary>
public sealed record TreeNodeResponse(IReadOnlyList<CrdtTreeNode> Nodes, byte[]? SealedLeaves, bool NotFound) : SyncResponse
{
    internal const byte VariantTag = 8;

    private protected override byte Tag => VariantTag;

    private protected override void WriteBody(BorshWriter writer)
    {
        writer.WriteVec(Nodes, static (w, n) =>
        {
            w.WriteId(n.Id).WriteU8((byte)n.Kind).WriteId(n.Hash);
            TreeLeafData.WritePath(w, n.Path);
            w.WriteVec(n.Children, static (w, c) => w.WriteBool(c.IsCollection).WriteU8((byte)c.Kind).WriteBytes(c.Key).WriteId(c.Hash));
        });
        writer.WriteOption(SealedLeaves, static (w, l) => w.WriteBytes(l));
        writer.WriteBool(NotFound);
    }

    internal static TreeNodeResponse ReadBody(ref BorshReader reader)
    {
        var count = reader.ReadCount(32 + 1 + 32 + 4 + 4, WireLimits.MaxTreeNodesPerResponse);
        var nodes = new CrdtTreeNode[count];
        for (var i = 0; i < count; i++)
        {
            var id = reader.ReadId<IdKinds.Hash>();
            var kind = TreeLeafData.ReadKind(ref reader);
            var hash = reader.ReadId<IdKinds.Hash>();
            var path = TreeLeafData.ReadPath(ref reader);
            var childCount = reader.ReadCount(1 + 1 + 4 + 32, WireLimits.MaxTreeChildren);
            var children = new CrdtTreeChild[childCount];
            for (var c = 0; c < childCount; c++)
            {
                var isCollection = reader.ReadBool();
                var childKind = TreeLeafData.ReadKind(ref reader);
                var key = reader.ReadBytes(CrdtLeaf.MaxItemKeyBytes);
                if (isCollection && key.Length != 32)
                {
                    throw new BorshException($"a child collection id of {key.Length} bytes");
                }

                children[c] = new CrdtTreeChild(isCollection, childKind, key, reader.ReadId<IdKinds.Hash>());
            }

            nodes[i] = new CrdtTreeNode(id, kind, hash, path, children);
        }

        var leaves = reader.ReadOptionTag() ? reader.ReadBytes(SyncProtocol.MaxResponseBytes) : null;
        return new TreeNodeResponse(nodes, leaves, reader.ReadBool());
    }
}

/// <summary>How many pushed leaves changed the responder's state, and how many it refused (not authorized or malformed).</summary>
public sealed record EntityPushAck(uint AppliedCount, uint RefusedCount) : SyncResponse
{
    internal const byte VariantTag = 9;

    private protected override byte Tag => VariantTag;

    private protected override void WriteBody(BorshWriter writer) => writer.WriteU32(AppliedCount).WriteU32(RefusedCount);
}

/// <summary>
/// A leaf inside a sealed leaf blob (<see cref="TreeLeafSealing"/>): its collection's path, item
/// key and record (both absent for an empty collection) and, for a map key, its removal
/// watermark. The context is the request's.
/// </summary>
public sealed record TreeLeafData(IReadOnlyList<CrdtPathStep> Path, byte[]? ItemKey, byte[]? Record, HybridTimestamp? Removed)
{
    public static TreeLeafData From(CrdtLeaf leaf) => new(leaf.Path, leaf.ItemKey, leaf.Record, leaf.Removed);

    public CrdtLeaf ToLeaf(ContextId context) => new(context, Path, ItemKey, Record) { Removed = Removed };

    internal void Write(BorshWriter writer)
    {
        WritePath(writer, Path);
        writer.WriteOption(ItemKey, static (w, k) => w.WriteBytes(k));
        writer.WriteOption(Record, static (w, r) => w.WriteBytes(r));
        if (Removed is { } removed)
        {
            writer.WriteU8(1).WriteU64(removed.Time).WriteId(removed.Node);
        }
        else
        {
            writer.WriteU8(0);
        }
    }

    internal static TreeLeafData Read(ref BorshReader reader)
    {
        var path = ReadPath(ref reader);
        var key = reader.ReadOptionTag() ? reader.ReadBytes(CrdtLeaf.MaxItemKeyBytes) : null;
        var record = reader.ReadOptionTag() ? reader.ReadBytes(CrdtLeaf.MaxRecordBytes) : null;
        HybridTimestamp? removed = reader.ReadOptionTag() ? new HybridTimestamp(reader.ReadU64(), reader.ReadId<IdKinds.PublicKey>()) : null;
        return new TreeLeafData(path, key, record, removed);
    }

    internal static void WritePath(BorshWriter writer, IReadOnlyList<CrdtPathStep> path) =>
        writer.WriteVec(path, static (w, s) => w.WriteU8((byte)s.Kind).WriteBytes(s.Name));

    internal static IReadOnlyList<CrdtPathStep> ReadPath(ref BorshReader reader)
    {
        var count = reader.ReadCount(1 + 4, WireLimits.MaxTreePathSteps);
        var steps = new CrdtPathStep[count];
        for (var i = 0; i < count; i++)
        {
            steps[i] = new CrdtPathStep(ReadKind(ref reader), reader.ReadBytes(CrdtLeaf.MaxNameBytes));
        }

        return steps;
    }

    internal static CrdtKind ReadKind(ref BorshReader reader)
    {
        var kind = reader.ReadU8();
        return kind <= (byte)CrdtKind.Text ? (CrdtKind)kind : throw new BorshException($"unknown entity kind {kind}");
    }
}
