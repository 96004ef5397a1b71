using Google.Protobuf;

namespace Mero.Network.Noise;

/// <summary>
/// The libp2p Noise handshake payload:
/// <c>NoiseHandshakePayload { bytes identity_key = 1; bytes identity_sig = 2; NoiseExtensions extensions = 4; }</c>,
/// <c>NoiseExtensions { repeated bytes webtransport_certhashes = 1; repeated string stream_muxers = 2; }</c>.
/// </summary>
internal sealed record NoiseHandshakePayload(byte[] IdentityKey, byte[] IdentitySignature, IReadOnlyList<string> StreamMuxers)
{
    public byte[] ToProtobuf()
    {
        using var memory = new MemoryStream();
        var output = new CodedOutputStream(memory);
        output.WriteTag(1, WireFormat.WireType.LengthDelimited);
        output.WriteBytes(ByteString.CopyFrom(IdentityKey));
        output.WriteTag(2, WireFormat.WireType.LengthDelimited);
        output.WriteBytes(ByteString.CopyFrom(IdentitySignature));
        if (StreamMuxers.Count > 0)
        {
            using var extensions = new MemoryStream();
            var inner = new CodedOutputStream(extensions);
            foreach (var muxer in StreamMuxers)
            {
                inner.WriteTag(2, WireFormat.WireType.LengthDelimited);
                inner.WriteString(muxer);
            }

            inner.Flush();
            output.WriteTag(4, WireFormat.WireType.LengthDelimited);
            output.WriteBytes(ByteString.CopyFrom(extensions.ToArray()));
        }

        output.Flush();
        return memory.ToArray();
    }

    public static NoiseHandshakePayload FromProtobuf(ReadOnlySpan<byte> bytes)
    {
        try
        {
            var input = new CodedInputStream(bytes.ToArray());
            byte[]? key = null;
            byte[]? signature = null;
            var muxers = new List<string>();
            uint tag;
            while ((tag = input.ReadTag()) != 0)
            {
                var wire = WireFormat.GetTagWireType(tag);
                switch (WireFormat.GetTagFieldNumber(tag))
                {
                    case 1 when wire == WireFormat.WireType.LengthDelimited:
                        key = input.ReadBytes().ToByteArray();
                        break;
                    case 2 when wire == WireFormat.WireType.LengthDelimited:
                        signature = input.ReadBytes().ToByteArray();
                        break;
                    case 4 when wire == WireFormat.WireType.LengthDelimited:
                        var extensions = new CodedInputStream(input.ReadBytes().ToByteArray());
                        uint inner;
                        while ((inner = extensions.ReadTag()) != 0)
                        {
                            if (WireFormat.GetTagFieldNumber(inner) == 2 && WireFormat.GetTagWireType(inner) == WireFormat.WireType.LengthDelimited)
                            {
                                muxers.Add(extensions.ReadString());
                            }
                            else
                            {
                                extensions.SkipLastField();
                            }
                        }

                        break;
                    default:
                        input.SkipLastField();
                        break;
                }
            }

            if (key is null || signature is null)
            {
                throw new NoiseException("handshake payload lacks identity_key or identity_sig");
            }

            return new(key, signature, muxers);
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw new NoiseException("malformed handshake payload: " + ex.Message);
        }
    }
}
