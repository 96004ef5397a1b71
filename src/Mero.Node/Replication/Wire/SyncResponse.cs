using Mero.Primitives;

namespace Mero.Node.Replication.Wire;

/// <summary>The one answer to a <see cref="SyncRequest"/>.</summary>
public abstract record SyncResponse
{
    private protected abstract byte Tag { get; }

    public byte[] Encode() => TaggedBorsh.Encode(Tag, WriteBody, 256);

    public static SyncResponse Decode(ReadOnlySpan<byte> bytes) =>
        TaggedBorsh.Decode(bytes, SyncProtocol.MaxResponseBytes, "sync response", static SyncResponse (byte tag, ref BorshReader reader) => tag switch
        {
            DagHeadsResponse.VariantTag => DagHeadsResponse.ReadBody(ref reader),
            DeltasResponse.VariantTag => DeltasResponse.ReadBody(ref reader),
            SnapshotPage.VariantTag => SnapshotPage.ReadBody(ref reader),
            GroupKeyResponse.VariantTag => new GroupKeyResponse(reader.ReadBytes(SyncProtocol.MaxKeyEnvelopeBytes), reader.ReadId<IdKinds.PublicKey>()),
            NotMaterialized.VariantTag => new NotMaterialized(),
            SyncRefused.VariantTag => new SyncRefused(reader.ReadString(SyncProtocol.MaxReasonBytes)),
            TreeNodeResponse.VariantTag => TreeNodeResponse.ReadBody(ref reader),
            EntityPushAck.VariantTag => new EntityPushAck(reader.ReadU32(), reader.ReadU32()),
            _ => throw new BorshException($"unknown sync response variant {tag}"),
        });

    private protected virtual void WriteBody(BorshWriter writer)
    {
    }
}

public sealed record DagHeadsResponse(IReadOnlyList<Hash> DagHeads, Hash RootHash) : SyncResponse
{
    internal const byte VariantTag = 0;

    private protected override byte Tag => VariantTag;

    private protected override void WriteBody(BorshWriter writer)
    {
        BroadcastMessage.WriteHashes(writer, DagHeads);
        writer.WriteId(RootHash);
    }

    internal static DagHeadsResponse ReadBody(ref BorshReader reader)
    {
        var heads = BroadcastMessage.ReadHashes(ref reader, WireLimits.MaxHeads, "dag heads");
        return new DagHeadsResponse(heads, reader.ReadId<IdKinds.Hash>());
    }
}

/// <summary>The requested ops the responder holds (each an encoded <see cref="StateDelta"/>), and the ids it does not.</summary>
public sealed record DeltasResponse(IReadOnlyList<byte[]> Deltas, IReadOnlyList<Hash> NotFound) : SyncResponse
{
    internal const byte VariantTag = 1;

    private protected override byte Tag => VariantTag;

    private protected override void WriteBody(BorshWriter writer)
    {
        writer.WriteVec(Deltas, static (w, d) => w.WriteBytes(d));
        BroadcastMessage.WriteHashes(writer, NotFound);
    }

    internal static DeltasResponse ReadBody(ref BorshReader reader)
    {
        var count = reader.ReadCount(4, SyncProtocol.MaxDeltasPerRequest);
        var deltas = new byte[count][];
        for (var i = 0; i < count; i++)
        {
            deltas[i] = reader.ReadBytes(WireLimits.MaxBroadcastBytes);
        }

        return new DeltasResponse(deltas, BroadcastMessage.ReadHashes(ref reader, SyncProtocol.MaxDeltasPerRequest, "missing ids"));
    }
}

/// <summary>
/// One snapshot page: compressed records, the cursor to resume after (none on the last page), and
/// the root the whole snapshot must hash to, so the receiver can check before it swaps state in, and
/// the DAG heads that root belongs to (the boundary later ops build on).
/// </summary>
public sealed record SnapshotPage(byte[] Payload, uint UncompressedLength, byte[]? Cursor, Hash BoundaryRoot, IReadOnlyList<Hash> BoundaryHeads) : SyncResponse
{
    internal const byte VariantTag = 2;

    private protected override byte Tag => VariantTag;

    private protected override void WriteBody(BorshWriter writer)
    {
        writer.WriteBytes(Payload).WriteU32(UncompressedLength);
        writer.WriteOption(Cursor, static (w, c) => w.WriteBytes(c));
        writer.WriteId(BoundaryRoot);
        BroadcastMessage.WriteHashes(writer, BoundaryHeads);
    }

    internal static SnapshotPage ReadBody(ref BorshReader reader)
    {
        var payload = reader.ReadBytes(SyncProtocol.MaxPageBytes);
        var length = reader.ReadU32();
        if (length > SyncProtocol.MaxDecompressedPageBytes)
        {
            throw new BorshException($"snapshot page claims {length} decompressed bytes, over the limit of {SyncProtocol.MaxDecompressedPageBytes}");
        }

        var cursor = reader.ReadOptionTag() ? reader.ReadBytes(SyncProtocol.MaxCursorBytes) : null;
        var root = reader.ReadId<IdKinds.Hash>();
        return new SnapshotPage(payload, length, cursor, root, BroadcastMessage.ReadHashes(ref reader, WireLimits.MaxHeads, "boundary heads"));
    }
}

/// <summary>
/// The wrapped key, or an empty envelope for every case the responder does not serve (not a
/// member, unknown group or key, another namespace): no answer confirms or denies membership.
/// </summary>
public sealed record GroupKeyResponse(byte[] KeyEnvelope, PublicKey ResponderIdentity) : SyncResponse
{
    internal const byte VariantTag = 3;

    private protected override byte Tag => VariantTag;

    private protected override void WriteBody(BorshWriter writer) => writer.WriteBytes(KeyEnvelope).WriteId(ResponderIdentity);
}

/// <summary>The responder knows the context's group but has not joined the context itself.</summary>
public sealed record NotMaterialized : SyncResponse
{
    internal const byte VariantTag = 4;

    private protected override byte Tag => VariantTag;
}

/// <summary>A refusal (not a member, unknown context, bad request) with a short reason that leaks no state.</summary>
public sealed record SyncRefused(string Reason) : SyncResponse
{
    internal const byte VariantTag = 5;

    private protected override byte Tag => VariantTag;

    private protected override void WriteBody(BorshWriter writer) => writer.WriteString(Reason);
}
