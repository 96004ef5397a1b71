using Google.Protobuf;
using Mero.Network.Multiformats;

namespace Mero.Network.Protocols;

/// <summary>
/// The identify protobuf:
/// <c>Identify { optional bytes publicKey = 1; repeated bytes listenAddrs = 2; repeated string protocols = 3;
/// optional bytes observedAddr = 4; optional string protocolVersion = 5; optional string agentVersion = 6;
/// optional bytes signedPeerRecord = 8; }</c>. Addresses stay in binary multiaddr form here.
/// </summary>
internal sealed record IdentifyMessage
{
    public byte[]? PublicKey { get; init; }

    public IReadOnlyList<byte[]> ListenAddrs { get; init; } = [];

    public IReadOnlyList<string> Protocols { get; init; } = [];

    public byte[]? ObservedAddr { get; init; }

    public string? ProtocolVersion { get; init; }

    public string? AgentVersion { get; init; }

    public byte[]? SignedPeerRecord { get; init; }

    public byte[] ToProtobuf()
    {
        using var memory = new MemoryStream();
        var output = new CodedOutputStream(memory);
        if (PublicKey is not null)
        {
            output.WriteTag(1, WireFormat.WireType.LengthDelimited);
            output.WriteBytes(ByteString.CopyFrom(PublicKey));
        }

        foreach (var address in ListenAddrs)
        {
            output.WriteTag(2, WireFormat.WireType.LengthDelimited);
            output.WriteBytes(ByteString.CopyFrom(address));
        }

        foreach (var protocol in Protocols)
        {
            output.WriteTag(3, WireFormat.WireType.LengthDelimited);
            output.WriteString(protocol);
        }

        if (ObservedAddr is not null)
        {
            output.WriteTag(4, WireFormat.WireType.LengthDelimited);
            output.WriteBytes(ByteString.CopyFrom(ObservedAddr));
        }

        if (ProtocolVersion is not null)
        {
            output.WriteTag(5, WireFormat.WireType.LengthDelimited);
            output.WriteString(ProtocolVersion);
        }

        if (AgentVersion is not null)
        {
            output.WriteTag(6, WireFormat.WireType.LengthDelimited);
            output.WriteString(AgentVersion);
        }

        if (SignedPeerRecord is not null)
        {
            output.WriteTag(8, WireFormat.WireType.LengthDelimited);
            output.WriteBytes(ByteString.CopyFrom(SignedPeerRecord));
        }

        output.Flush();
        return memory.ToArray();
    }

    public static IdentifyMessage FromProtobuf(ReadOnlySpan<byte> bytes)
    {
        try
        {
            var input = new CodedInputStream(bytes.ToArray());
            byte[]? publicKey = null;
            byte[]? observed = null;
            byte[]? record = null;
            string? protocolVersion = null;
            string? agentVersion = null;
            var listen = new List<byte[]>();
            var protocols = new List<string>();
            uint tag;
            while ((tag = input.ReadTag()) != 0)
            {
                if (WireFormat.GetTagWireType(tag) != WireFormat.WireType.LengthDelimited)
                {
                    input.SkipLastField();
                    continue;
                }

                switch (WireFormat.GetTagFieldNumber(tag))
                {
                    case 1:
                        publicKey = input.ReadBytes().ToByteArray();
                        break;
                    case 2:
                        listen.Add(input.ReadBytes().ToByteArray());
                        break;
                    case 3:
                        protocols.Add(input.ReadString());
                        break;
                    case 4:
                        observed = input.ReadBytes().ToByteArray();
                        break;
                    case 5:
                        protocolVersion = input.ReadString();
                        break;
                    case 6:
                        agentVersion = input.ReadString();
                        break;
                    case 8:
                        record = input.ReadBytes().ToByteArray();
                        break;
                    default:
                        input.SkipLastField();
                        break;
                }
            }

            return new IdentifyMessage
            {
                PublicKey = publicKey,
                ListenAddrs = listen,
                Protocols = protocols,
                ObservedAddr = observed,
                ProtocolVersion = protocolVersion,
                AgentVersion = agentVersion,
                SignedPeerRecord = record,
            };
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw new FormatException("malformed identify message: " + ex.Message, ex);
        }
    }
}

/// <summary>What a peer told us about itself through identify.</summary>
public sealed record IdentifyInfo
{
    public required PeerId PeerId { get; init; }

    public string? ProtocolVersion { get; init; }

    public string? AgentVersion { get; init; }

    public IReadOnlyList<string> Protocols { get; init; } = [];

    public IReadOnlyList<Multiaddr> ListenAddresses { get; init; } = [];

    /// <summary>Our address as the peer sees it.</summary>
    public Multiaddr? ObservedAddress { get; init; }
}
