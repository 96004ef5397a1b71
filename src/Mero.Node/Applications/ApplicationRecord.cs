using Mero.Primitives;

namespace Mero.Node.Applications;

/// <summary>An installed application as stored in <c>Column.Application</c> (borsh, versioned).</summary>
public sealed record ApplicationRecord(
    ApplicationId Id,
    BlobId Blob,
    long Size,
    string Source,
    byte[] Metadata,
    string? Package,
    string? Version,
    long InstalledAtMs)
{
    private const byte SchemaVersion = 1;

    public byte[] Encode() => new BorshWriter()
        .WriteU8(SchemaVersion)
        .WriteId(Id)
        .WriteId(Blob)
        .WriteU64((ulong)Size)
        .WriteString(Source)
        .WriteBytes(Metadata)
        .WriteOptionalString(Package)
        .WriteOptionalString(Version)
        .WriteI64(InstalledAtMs)
        .ToArray();

    public static ApplicationRecord Decode(ReadOnlySpan<byte> bytes)
    {
        var reader = new BorshReader(bytes);
        var version = reader.ReadU8();
        if (version != SchemaVersion)
        {
            throw new BorshException($"unknown application record version {version}");
        }

        var record = new ApplicationRecord(
            reader.ReadId<IdKinds.Application>(),
            reader.ReadId<IdKinds.Blob>(),
            (long)reader.ReadU64(),
            reader.ReadString(),
            reader.ReadBytes(),
            reader.ReadOptionalString(),
            reader.ReadOptionalString(),
            reader.ReadI64());
        reader.EnsureEnd();
        return record;
    }
}
