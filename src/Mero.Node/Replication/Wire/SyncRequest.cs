using Mero.Primitives;

namespace Mero.Node.Replication.Wire;

/// <summary>
/// A request on the sync protocol (<see cref="SyncProtocol.Id"/>). Each request gets exactly one
/// <see cref="SyncResponse"/>; long transfers page with a cursor. The party is the requester's
/// member key in the context, which the responder checks against membership before answering.
/// </summary>
public abstract record SyncRequest
{
    private protected abstract byte Tag { get; }

    public byte[] Encode() => TaggedBorsh.Encode(Tag, WriteBody, 128);

    public static SyncRequest Decode(ReadOnlySpan<byte> bytes) =>
        TaggedBorsh.Decode(bytes, bytes.Length > 0 && bytes[0] == EntityPush.VariantTag ? WireLimits.MaxEntityPushBytes : SyncProtocol.MaxRequestBytes, "sync request", static SyncRequest (byte tag, ref BorshReader reader) => tag switch
        {
            DagHeadsRequest.VariantTag => new DagHeadsRequest(reader.ReadId<IdKinds.Context>(), reader.ReadId<IdKinds.PublicKey>()),
            DeltasRequest.VariantTag => DeltasRequest.ReadBody(ref reader),
            SnapshotRequest.VariantTag => SnapshotRequest.ReadBody(ref reader),
            GroupKeyRequest.VariantTag => new GroupKeyRequest(reader.ReadId<IdKinds.Group>(), reader.ReadId<IdKinds.Group>(), reader.ReadId<IdKinds.PublicKey>(), reader.ReadId<IdKinds.Hash>()),
            AncestorsRequest.VariantTag => AncestorsRequest.ReadBody(ref reader),
            TreeNodeRequest.VariantTag => TreeNodeRequest.ReadBody(ref reader),
            EntityPush.VariantTag => EntityPush.ReadBody(ref reader),
            _ => throw new BorshException($"unknown sync request variant {tag}"),
        });

    private protected abstract void WriteBody(BorshWriter writer);
}

/// <summary>Handshake: the responder's DAG heads and root for the context.</summary>
public sealed record DagHeadsRequest(ContextId ContextId, PublicKey PartyId) : SyncRequest
{
    internal const byte VariantTag = 0;

    private protected override byte Tag => VariantTag;

    private protected override void WriteBody(BorshWriter writer) => writer.WriteId(ContextId).WriteId(PartyId);
}

/// <summary>Delta catch-up: the ops with these ids, as their broadcast encodings.</summary>
public sealed record DeltasRequest(ContextId ContextId, PublicKey PartyId, IReadOnlyList<Hash> DeltaIds) : SyncRequest
{
    internal const byte VariantTag = 1;

    private protected override byte Tag => VariantTag;

    private protected override void WriteBody(BorshWriter writer)
    {
        writer.WriteId(ContextId).WriteId(PartyId);
        BroadcastMessage.WriteHashes(writer, DeltaIds);
    }

    internal static DeltasRequest ReadBody(ref BorshReader reader)
    {
        var context = reader.ReadId<IdKinds.Context>();
        var party = reader.ReadId<IdKinds.PublicKey>();
        return new DeltasRequest(context, party, BroadcastMessage.ReadHashes(ref reader, SyncProtocol.MaxDeltasPerRequest, "delta ids"));
    }
}

/// <summary>One page of the context's materialized state, resuming after <see cref="Cursor"/>.</summary>
public sealed record SnapshotRequest(ContextId ContextId, PublicKey PartyId, byte[]? Cursor, uint ByteLimit) : SyncRequest
{
    internal const byte VariantTag = 2;

    private protected override byte Tag => VariantTag;

    private protected override void WriteBody(BorshWriter writer)
    {
        writer.WriteId(ContextId).WriteId(PartyId);
        writer.WriteOption(Cursor, static (w, c) => w.WriteBytes(c));
        writer.WriteU32(ByteLimit);
    }

    internal static SnapshotRequest ReadBody(ref BorshReader reader)
    {
        var context = reader.ReadId<IdKinds.Context>();
        var party = reader.ReadId<IdKinds.PublicKey>();
        var cursor = reader.ReadOptionTag() ? reader.ReadBytes(SyncProtocol.MaxCursorBytes) : null;
        var limit = reader.ReadU32();
        if (limit is 0 or > SyncProtocol.MaxPageBytes)
        {
            throw new BorshException($"snapshot byte limit {limit} is outside 1..{SyncProtocol.MaxPageBytes}");
        }

        return new SnapshotRequest(context, party, cursor, limit);
    }
}

/// <summary>
/// Key recovery inside the sync stream: the group key <see cref="KeyId"/> of <see cref="GroupId"/>
/// (a group of namespace <see cref="NamespaceId"/>) wrapped for <see cref="Requester"/>, a member
/// key. The request needs no proof of who asks: the answer is sealed to the requester's agreement
/// key, so a false claim yields an envelope the caller cannot open.
/// </summary>
public sealed record GroupKeyRequest(GroupId NamespaceId, GroupId GroupId, PublicKey Requester, Hash KeyId) : SyncRequest
{
    internal const byte VariantTag = 3;

    private protected override byte Tag => VariantTag;

    private protected override void WriteBody(BorshWriter writer) => writer.WriteId(NamespaceId).WriteId(GroupId).WriteId(Requester).WriteId(KeyId);
}

/// <summary>
/// Delta catch-up in bulk: the ops <see cref="Wanted"/> and, breadth first, as many of their
/// ancestors as fit in one response, stopping at the requester's <see cref="Haves"/> (its heads)
/// and at anything older than them. One round trip then covers many DAG levels instead of one.
/// </summary>
public sealed record AncestorsRequest(ContextId ContextId, PublicKey PartyId, IReadOnlyList<Hash> Wanted, IReadOnlyList<Hash> Haves) : SyncRequest
{
    internal const byte VariantTag = 4;

    private protected override byte Tag => VariantTag;

    private protected override void WriteBody(BorshWriter writer)
    {
        writer.WriteId(ContextId).WriteId(PartyId);
        BroadcastMessage.WriteHashes(writer, Wanted);
        BroadcastMessage.WriteHashes(writer, Haves);
    }

    internal static AncestorsRequest ReadBody(ref BorshReader reader)
    {
        var context = reader.ReadId<IdKinds.Context>();
        var party = reader.ReadId<IdKinds.PublicKey>();
        var wanted = BroadcastMessage.ReadHashes(ref reader, SyncProtocol.MaxDeltasPerRequest, "wanted ids");
        return new AncestorsRequest(context, party, wanted, BroadcastMessage.ReadHashes(ref reader, WireLimits.MaxHeads, "have ids"));
    }
}
