using Mero.Governance;
using Mero.Node.Replication.Wire;
using Mero.Primitives;

namespace Mero.Node.Governance;

/// <summary>
/// Names and bounds of governance catch-up. A protocol of its own (<see cref="Id"/>), separate from
/// the context sync stream, so the two evolve independently (docs/governance.md, "Node wiring").
/// </summary>
public static class GovernanceSyncProtocol
{
    public const string Id = "/calimero/gov-sync/0.0.1";

    /// <summary>Heads one answer carries; a namespace rarely has more than a handful of concurrent heads.</summary>
    public const int MaxHeads = 256;

    /// <summary>Op ids one request may name (and envelopes one answer may carry).</summary>
    public const int MaxOpsPerRequest = 256;

    /// <summary>A server stops adding envelopes once an answer reaches this size.</summary>
    public const int SoftResponseBytes = 4 * 1024 * 1024;

    public const int MaxRequestBytes = 64 + (MaxOpsPerRequest * 32);

    /// <summary>The soft cap plus one maximal envelope.</summary>
    public const int MaxResponseBytes = SoftResponseBytes + SignedGroupOp.MaxWireBytes + 1024;

    public const int MaxReasonBytes = 256;
}

/// <summary>A catch-up request: the peer's heads of a namespace, or applied ops by id.</summary>
public abstract record GovernanceSyncRequest
{
    private protected abstract byte Tag { get; }

    public abstract GroupId Namespace { get; }

    public byte[] Encode() => TaggedBorsh.Encode(Tag, WriteBody, 64);

    /// <summary>Decodes one request; throws <see cref="BorshException"/> on anything malformed or over a bound.</summary>
    public static GovernanceSyncRequest Decode(ReadOnlySpan<byte> bytes) =>
        TaggedBorsh.Decode(bytes, GovernanceSyncProtocol.MaxRequestBytes, "governance sync request", static GovernanceSyncRequest (byte tag, ref BorshReader r) => tag switch
        {
            GovernanceHeadsRequest.VariantTag => new GovernanceHeadsRequest(r.ReadId<IdKinds.Group>()),
            GovernanceOpsRequest.VariantTag => new GovernanceOpsRequest(
                r.ReadId<IdKinds.Group>(),
                BroadcastMessage.ReadHashes(ref r, GovernanceSyncProtocol.MaxOpsPerRequest, "requested op ids")),
            _ => throw new BorshException($"unknown governance sync request variant {tag}"),
        });

    private protected abstract void WriteBody(BorshWriter writer);
}

public sealed record GovernanceHeadsRequest(GroupId NamespaceId) : GovernanceSyncRequest
{
    internal const byte VariantTag = 0;

    private protected override byte Tag => VariantTag;

    public override GroupId Namespace => NamespaceId;

    private protected override void WriteBody(BorshWriter writer) => writer.WriteId(NamespaceId);
}

public sealed record GovernanceOpsRequest(GroupId NamespaceId, IReadOnlyList<Hash> Ids) : GovernanceSyncRequest
{
    internal const byte VariantTag = 1;

    private protected override byte Tag => VariantTag;

    public override GroupId Namespace => NamespaceId;

    private protected override void WriteBody(BorshWriter writer)
    {
        if (Ids.Count > GovernanceSyncProtocol.MaxOpsPerRequest)
        {
            throw new ArgumentException($"at most {GovernanceSyncProtocol.MaxOpsPerRequest} ids per request");
        }

        writer.WriteId(NamespaceId);
        BroadcastMessage.WriteHashes(writer, Ids);
    }
}

/// <summary>The answer to a <see cref="GovernanceSyncRequest"/>.</summary>
public abstract record GovernanceSyncResponse
{
    private protected abstract byte Tag { get; }

    public byte[] Encode() => TaggedBorsh.Encode(Tag, WriteBody, 256);

    public static GovernanceSyncResponse Decode(ReadOnlySpan<byte> bytes) =>
        TaggedBorsh.Decode(bytes, GovernanceSyncProtocol.MaxResponseBytes, "governance sync response", static GovernanceSyncResponse (byte tag, ref BorshReader r) => tag switch
        {
            GovernanceHeadsResponse.VariantTag => new GovernanceHeadsResponse(BroadcastMessage.ReadHashes(ref r, GovernanceSyncProtocol.MaxHeads, "heads")),
            GovernanceOpsResponse.VariantTag => GovernanceOpsResponse.ReadBody(ref r),
            GovernanceSyncError.VariantTag => new GovernanceSyncError(r.ReadString(GovernanceSyncProtocol.MaxReasonBytes)),
            _ => throw new BorshException($"unknown governance sync response variant {tag}"),
        });

    private protected abstract void WriteBody(BorshWriter writer);
}

public sealed record GovernanceHeadsResponse(IReadOnlyList<Hash> Heads) : GovernanceSyncResponse
{
    internal const byte VariantTag = 0;

    private protected override byte Tag => VariantTag;

    private protected override void WriteBody(BorshWriter writer) => BroadcastMessage.WriteHashes(writer, Heads);
}

/// <summary>Envelope wire bytes of the requested ops this peer has applied (unknown ids are left out).</summary>
public sealed record GovernanceOpsResponse(IReadOnlyList<byte[]> Envelopes) : GovernanceSyncResponse
{
    internal const byte VariantTag = 1;

    private protected override byte Tag => VariantTag;

    private protected override void WriteBody(BorshWriter writer) =>
        writer.WriteVec(Envelopes, static (w, e) => w.WriteBytes(e));

    internal static GovernanceOpsResponse ReadBody(ref BorshReader r)
    {
        // Each element is at least its 4-byte length prefix.
        var count = r.ReadCount(4, GovernanceSyncProtocol.MaxOpsPerRequest);
        var envelopes = new byte[count][];
        for (var i = 0; i < count; i++)
        {
            envelopes[i] = r.ReadBytes(SignedGroupOp.MaxWireBytes);
        }

        return new GovernanceOpsResponse(envelopes);
    }
}

/// <summary>The peer refused (it does not follow the namespace, or the request was malformed).</summary>
public sealed record GovernanceSyncError(string Reason) : GovernanceSyncResponse
{
    internal const byte VariantTag = 2;

    private protected override byte Tag => VariantTag;

    private protected override void WriteBody(BorshWriter writer) =>
        writer.WriteString(Reason.Length > GovernanceSyncProtocol.MaxReasonBytes / 4 ? Reason[..(GovernanceSyncProtocol.MaxReasonBytes / 4)] : Reason);
}
