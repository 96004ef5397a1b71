using Mero.Primitives;
using Mero.Primitives.Clock;

namespace Mero.Node.Replication.Wire;

/// <summary>
/// What travels on gossip topics, borsh-encoded with a one-byte variant tag as upstream's
/// <c>BroadcastMessage</c>: a context's data op (<see cref="StateDelta"/>), heartbeats that carry
/// (root, heads) for divergence detection, and namespace governance ops.
/// </summary>
public abstract record BroadcastMessage
{
    private protected abstract byte Tag { get; }

    public byte[] Encode() => TaggedBorsh.Encode(Tag, WriteBody, 256);

    /// <summary>Decodes one message; throws <see cref="BorshException"/> with the reason on anything malformed.</summary>
    public static BroadcastMessage Decode(ReadOnlySpan<byte> bytes) =>
        TaggedBorsh.Decode(bytes, WireLimits.MaxBroadcastBytes, "broadcast", static BroadcastMessage (byte tag, ref BorshReader reader) => tag switch
        {
            StateDelta.VariantTag => StateDelta.ReadBody(ref reader),
            HashHeartbeat.VariantTag => HashHeartbeat.ReadBody(ref reader),
            NamespaceGovernanceDelta.VariantTag => NamespaceGovernanceDelta.ReadBody(ref reader),
            NamespaceStateHeartbeat.VariantTag => NamespaceStateHeartbeat.ReadBody(ref reader),
            _ => throw new BorshException($"unknown broadcast variant {tag}"),
        });

    private protected abstract void WriteBody(BorshWriter writer);

    internal static void WriteHashes(BorshWriter writer, IReadOnlyList<Hash> hashes) =>
        writer.WriteVec(hashes.ToArray(), static (w, h) => w.WriteId(h));

    internal static Hash[] ReadHashes(ref BorshReader reader, int max, string what)
    {
        var count = reader.ReadCount(Bytes32.Length, max);
        var hashes = new Hash[count];
        for (var i = 0; i < count; i++)
        {
            hashes[i] = reader.ReadId<IdKinds.Hash>();
        }

        if (hashes.Distinct().Count() != hashes.Length)
        {
            throw new BorshException($"{what} repeat a hash");
        }

        return hashes;
    }

    internal static byte[] ReadFixedArray(ref BorshReader reader, int length) => reader.ReadFixed(length).ToArray();
}

/// <summary>
/// One execute's committed CRDT actions as a signed DAG op of a context. <see cref="Artifact"/> is
/// the sealed payload (the author's root after the op, the CRDT actions and the events, in one
/// ciphertext under the context key named by <see cref="KeyId"/>): as upstream, only routing and
/// causality metadata travel in clear.
/// </summary>
public sealed record StateDelta(
    ContextId ContextId,
    PublicKey AuthorId,
    Hash DeltaId,
    IReadOnlyList<Hash> ParentIds,
    HybridTimestamp Hlc,
    byte[] Artifact,
    byte[] Nonce,
    IReadOnlyList<Hash>? GovernanceHeads,
    Hash KeyId,
    byte[] Signature) : BroadcastMessage
{
    internal const byte VariantTag = 0;

    private protected override byte Tag => VariantTag;

    private protected override void WriteBody(BorshWriter writer)
    {
        writer.WriteId(ContextId).WriteId(AuthorId).WriteId(DeltaId);
        WriteHashes(writer, ParentIds);
        Hlc.WriteBorsh(writer);
        writer.WriteBytes(Artifact).WriteFixed(Nonce);
        writer.WriteOption(GovernanceHeads, static (w, h) => WriteHashes(w, h));
        writer.WriteId(KeyId).WriteFixed(Signature);
    }

    internal static StateDelta ReadBody(ref BorshReader reader)
    {
        var contextId = reader.ReadId<IdKinds.Context>();
        var author = reader.ReadId<IdKinds.PublicKey>();
        var deltaId = reader.ReadId<IdKinds.Hash>();
        var parents = ReadHashes(ref reader, WireLimits.MaxParents, "parent ids");
        var hlc = HybridTimestamp.ReadBorsh(ref reader);
        var artifact = reader.ReadBytes(WireLimits.MaxArtifactBytes + WireLimits.MaxEventsBytes);
        var nonce = ReadFixedArray(ref reader, WireLimits.NonceLength);
        var governance = reader.ReadOptionTag() ? ReadHashes(ref reader, WireLimits.MaxParents, "governance heads") : null;
        var keyId = reader.ReadId<IdKinds.Hash>();
        var signature = ReadFixedArray(ref reader, WireLimits.SignatureLength);
        return new StateDelta(contextId, author, deltaId, parents, hlc, artifact, nonce, governance, keyId, signature);
    }
}

/// <summary>A context's (root, heads), published periodically so a member that missed ops notices.</summary>
public sealed record HashHeartbeat(ContextId ContextId, Hash RootHash, IReadOnlyList<Hash> DagHeads) : BroadcastMessage
{
    internal const byte VariantTag = 1;

    private protected override byte Tag => VariantTag;

    private protected override void WriteBody(BorshWriter writer)
    {
        writer.WriteId(ContextId).WriteId(RootHash);
        WriteHashes(writer, DagHeads);
    }

    internal static HashHeartbeat ReadBody(ref BorshReader reader)
    {
        var contextId = reader.ReadId<IdKinds.Context>();
        var root = reader.ReadId<IdKinds.Hash>();
        return new HashHeartbeat(contextId, root, ReadHashes(ref reader, WireLimits.MaxHeads, "dag heads"));
    }
}

/// <summary>A signed namespace governance op; the payload is the governance envelope, verified by the governance engine.</summary>
public sealed record NamespaceGovernanceDelta(GroupId NamespaceId, Hash DeltaId, IReadOnlyList<Hash> ParentIds, byte[] Payload) : BroadcastMessage
{
    internal const byte VariantTag = 2;

    private protected override byte Tag => VariantTag;

    private protected override void WriteBody(BorshWriter writer)
    {
        writer.WriteId(NamespaceId).WriteId(DeltaId);
        WriteHashes(writer, ParentIds);
        writer.WriteBytes(Payload);
    }

    internal static NamespaceGovernanceDelta ReadBody(ref BorshReader reader)
    {
        var ns = reader.ReadId<IdKinds.Group>();
        var deltaId = reader.ReadId<IdKinds.Hash>();
        var parents = ReadHashes(ref reader, WireLimits.MaxParents, "parent ids");
        return new NamespaceGovernanceDelta(ns, deltaId, parents, reader.ReadBytes(WireLimits.MaxGovernancePayloadBytes));
    }
}

/// <summary>A namespace's governance DAG heads, published periodically.</summary>
public sealed record NamespaceStateHeartbeat(GroupId NamespaceId, IReadOnlyList<Hash> DagHeads) : BroadcastMessage
{
    internal const byte VariantTag = 3;

    private protected override byte Tag => VariantTag;

    private protected override void WriteBody(BorshWriter writer)
    {
        writer.WriteId(NamespaceId);
        WriteHashes(writer, DagHeads);
    }

    internal static NamespaceStateHeartbeat ReadBody(ref BorshReader reader)
    {
        var ns = reader.ReadId<IdKinds.Group>();
        return new NamespaceStateHeartbeat(ns, ReadHashes(ref reader, WireLimits.MaxHeads, "dag heads"));
    }
}
