using Mero.Primitives;
using Mero.Primitives.Clock;

namespace Mero.Node.Replication;

/// <summary>One event of an op, as the author's app emitted it; receivers replay it to their subscribers.</summary>
public sealed record OpEvent(string Kind, byte[] Data, string? Handler);

/// <summary>
/// A context op in plaintext: what the op log stores and what a sealed <see cref="Wire.StateDelta"/>
/// opens to. <see cref="Artifact"/> is the encoded CRDT delta; <see cref="RootHash"/> is the
/// author's state root right after the op.
/// </summary>
public sealed record ContextOp(
    ContextId ContextId,
    Hash Id,
    IReadOnlyList<Hash> Parents,
    HybridTimestamp Hlc,
    PublicKey Author,
    byte[] Artifact,
    Hash RootHash,
    IReadOnlyList<OpEvent> Events,
    IReadOnlyList<Hash>? GovernanceHeads,
    byte[] Signature)
{
    private const byte SchemaVersion = 1;

    /// <summary>True when <see cref="Id"/> is the hash of this op's content.</summary>
    public bool HasValidId() => DeltaIdentity.ComputeId(ContextId, Parents, Hlc, Author, Artifact) == Id;

    public byte[] Encode()
    {
        var writer = new BorshWriter(256 + Artifact.Length);
        writer.WriteU8(SchemaVersion).WriteId(ContextId).WriteId(Id);
        Wire.BroadcastMessage.WriteHashes(writer, Parents);
        Hlc.WriteBorsh(writer);
        writer.WriteId(Author).WriteBytes(Artifact).WriteId(RootHash);
        WriteEvents(writer, Events);
        writer.WriteOption(GovernanceHeads, static (w, h) => Wire.BroadcastMessage.WriteHashes(w, h));
        writer.WriteFixed(Signature);
        return writer.ToArray();
    }

    public static ContextOp Decode(ReadOnlySpan<byte> bytes)
    {
        var reader = new BorshReader(bytes);
        var version = reader.ReadU8();
        if (version != SchemaVersion)
        {
            throw new BorshException($"unknown context op version {version}");
        }

        var context = reader.ReadId<IdKinds.Context>();
        var id = reader.ReadId<IdKinds.Hash>();
        var parents = Wire.BroadcastMessage.ReadHashes(ref reader, Wire.WireLimits.MaxParents, "parent ids");
        var hlc = HybridTimestamp.ReadBorsh(ref reader);
        var author = reader.ReadId<IdKinds.PublicKey>();
        var artifact = reader.ReadBytes(Wire.WireLimits.MaxArtifactBytes);
        var root = reader.ReadId<IdKinds.Hash>();
        var events = ReadEvents(ref reader);
        var governance = reader.ReadOptionTag() ? Wire.BroadcastMessage.ReadHashes(ref reader, Wire.WireLimits.MaxParents, "governance heads") : null;
        var signature = reader.ReadFixed(Wire.WireLimits.SignatureLength).ToArray();
        reader.EnsureEnd();
        return new ContextOp(context, id, parents, hlc, author, artifact, root, events, governance, signature);
    }

    internal static void WriteEvents(BorshWriter writer, IReadOnlyList<OpEvent> events) =>
        writer.WriteVec(events.ToArray(), static (w, e) => w.WriteString(e.Kind).WriteBytes(e.Data).WriteOptionalString(e.Handler));

    internal static IReadOnlyList<OpEvent> ReadEvents(ref BorshReader reader)
    {
        var count = reader.ReadU32();
        if (count > MaxEvents)
        {
            throw new BorshException($"{count} events in one op, over the limit of {MaxEvents}");
        }

        var events = new List<OpEvent>((int)count);
        for (var i = 0; i < count; i++)
        {
            events.Add(new OpEvent(reader.ReadString(1024), reader.ReadBytes(Wire.WireLimits.MaxEventsBytes), reader.ReadOptionalString()));
        }

        return events;
    }

    private const int MaxEvents = 4096;
}
