using Google.Protobuf;
using Mero.Crypto;

namespace Mero.Network.Multiformats;

/// <summary>libp2p key types (field 1 of the protobuf PublicKey).</summary>
public enum Libp2pKeyType
{
    Rsa = 0,
    Ed25519 = 1,
    Secp256k1 = 2,
    Ecdsa = 3,
}

/// <summary>
/// A libp2p public key as carried in Noise payloads and identify: protobuf
/// <c>PublicKey { required KeyType Type = 1; required bytes Data = 2; }</c>. Only Ed25519 keys can
/// be verified here; the others are decoded so a PeerId can still be derived from them.
/// </summary>
public sealed record Libp2pPublicKey(Libp2pKeyType Type, byte[] Data)
{
    /// <summary>The protobuf encoding, fields in order (libp2p requires deterministic encoding).</summary>
    public byte[] ToProtobuf()
    {
        var size = CodedOutputStream.ComputeInt32Size((int)Type) + 1 + CodedOutputStream.ComputeBytesSize(ByteString.CopyFrom(Data)) + 1;
        var bytes = new byte[size];
        var output = new CodedOutputStream(bytes);
        output.WriteTag(1, WireFormat.WireType.Varint);
        output.WriteInt32((int)Type);
        output.WriteTag(2, WireFormat.WireType.LengthDelimited);
        output.WriteBytes(ByteString.CopyFrom(Data));
        output.CheckNoSpaceLeft();
        return bytes;
    }

    public static Libp2pPublicKey FromEd25519(PublicKey key) => new(Libp2pKeyType.Ed25519, key.ToArray());

    /// <summary>Decodes the protobuf PublicKey; throws <see cref="FormatException"/> if malformed.</summary>
    public static Libp2pPublicKey FromProtobuf(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length > 1024)
        {
            throw new FormatException($"public key protobuf of {bytes.Length} bytes is too long");
        }

        try
        {
            var input = new CodedInputStream(bytes.ToArray());
            Libp2pKeyType? type = null;
            byte[]? data = null;
            uint tag;
            while ((tag = input.ReadTag()) != 0)
            {
                switch (WireFormat.GetTagFieldNumber(tag))
                {
                    case 1 when WireFormat.GetTagWireType(tag) == WireFormat.WireType.Varint:
                        type = (Libp2pKeyType)input.ReadInt32();
                        break;
                    case 2 when WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited:
                        data = input.ReadBytes().ToByteArray();
                        break;
                    default:
                        input.SkipLastField();
                        break;
                }
            }

            if (type is not { } t || data is null)
            {
                throw new FormatException("public key protobuf lacks Type or Data");
            }

            if (t is < Libp2pKeyType.Rsa or > Libp2pKeyType.Ecdsa)
            {
                throw new FormatException($"unknown key type {(int)t}");
            }

            if (t == Libp2pKeyType.Ed25519 && data.Length != 32)
            {
                throw new FormatException($"an Ed25519 public key is 32 bytes, got {data.Length}");
            }

            return new(t, data);
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw new FormatException("malformed public key protobuf: " + ex.Message, ex);
        }
    }

    /// <summary>Verifies a signature; false for key types this build cannot verify.</summary>
    public bool Verify(ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature) =>
        Type == Libp2pKeyType.Ed25519 && Ed25519KeyPair.Verify(PublicKey.FromBytes(Data), message, signature);

    public PeerId ToPeerId() => PeerId.FromPublicKey(this);

    public bool Equals(Libp2pPublicKey? other) => other is not null && Type == other.Type && Data.AsSpan().SequenceEqual(other.Data);

    public override int GetHashCode() => HashCode.Combine(Type, Data.Length > 0 ? Data[0] : 0, Data.Length);
}
