using Mero.Primitives;

namespace Mero.Node.Contexts;

/// <summary>A context's metadata as stored in <c>Column.Context</c>: its app and current state root.</summary>
public sealed record ContextRecord(
    ContextId Id,
    ApplicationId ApplicationId,
    Hash RootHash,
    long CreatedAtMs,
    string? Name)
{
    private const byte SchemaVersion = 1;

    public byte[] Encode() => new BorshWriter()
        .WriteU8(SchemaVersion)
        .WriteId(Id)
        .WriteId(ApplicationId)
        .WriteId(RootHash)
        .WriteI64(CreatedAtMs)
        .WriteOptionalString(Name)
        .ToArray();

    public static ContextRecord Decode(ReadOnlySpan<byte> bytes)
    {
        var reader = new BorshReader(bytes);
        var version = reader.ReadU8();
        if (version != SchemaVersion)
        {
            throw new BorshException($"unknown context record version {version}");
        }

        var record = new ContextRecord(
            reader.ReadId<IdKinds.Context>(),
            reader.ReadId<IdKinds.Application>(),
            reader.ReadId<IdKinds.Hash>(),
            reader.ReadI64(),
            reader.ReadOptionalString());
        reader.EnsureEnd();
        return record;
    }
}
