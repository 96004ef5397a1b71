using Google.Protobuf;
using Mero.Network.Multiformats;

namespace Mero.Network.Kademlia;

internal enum KadMessageType
{
    PutValue = 0,
    GetValue = 1,
    AddProvider = 2,
    GetProviders = 3,
    FindNode = 4,
    Ping = 5,
}

/// <summary>A peer in a Kademlia message: id and binary multiaddrs (unparseable ones are dropped).</summary>
public sealed record KadPeer(PeerId Id, IReadOnlyList<Multiaddr> Addresses);

/// <summary>
/// The Kademlia DHT protobuf (libp2p/specs kad-dht): <c>Message { type = 1; key = 2; record = 3;
/// closerPeers = 8; providerPeers = 9; clusterLevelRaw = 10 }</c> with
/// <c>Peer { id = 1; repeated addrs = 2; connection = 3 }</c>. Records (PUT/GET_VALUE) are skipped.
/// </summary>
internal sealed record KadMessage
{
    public const int MaxPeers = 200;
    public const int MaxAddressesPerPeer = 32;

    public KadMessageType Type { get; init; }

    public byte[] Key { get; init; } = [];

    public IReadOnlyList<KadPeer> CloserPeers { get; init; } = [];

    public IReadOnlyList<KadPeer> ProviderPeers { get; init; } = [];

    public byte[] ToProtobuf()
    {
        using var memory = new MemoryStream();
        var output = new CodedOutputStream(memory);
        output.WriteTag(1, WireFormat.WireType.Varint);
        output.WriteEnum((int)Type);
        if (Key.Length > 0)
        {
            output.WriteTag(2, WireFormat.WireType.LengthDelimited);
            output.WriteBytes(ByteString.CopyFrom(Key));
        }

        foreach (var peer in CloserPeers)
        {
            output.WriteTag(8, WireFormat.WireType.LengthDelimited);
            output.WriteBytes(ByteString.CopyFrom(EncodePeer(peer)));
        }

        foreach (var peer in ProviderPeers)
        {
            output.WriteTag(9, WireFormat.WireType.LengthDelimited);
            output.WriteBytes(ByteString.CopyFrom(EncodePeer(peer)));
        }

        output.Flush();
        return memory.ToArray();
    }

    private static byte[] EncodePeer(KadPeer peer)
    {
        using var memory = new MemoryStream();
        var output = new CodedOutputStream(memory);
        output.WriteTag(1, WireFormat.WireType.LengthDelimited);
        output.WriteBytes(ByteString.CopyFrom(peer.Id.ToBytes()));
        foreach (var address in peer.Addresses)
        {
            output.WriteTag(2, WireFormat.WireType.LengthDelimited);
            output.WriteBytes(ByteString.CopyFrom(address.ToBytes()));
        }

        output.Flush();
        return memory.ToArray();
    }

    /// <exception cref="InvalidDataException">malformed protobuf, a bad peer id, too many peers</exception>
    public static KadMessage FromProtobuf(byte[] bytes)
    {
        try
        {
            var input = new CodedInputStream(bytes);
            var type = KadMessageType.PutValue; // proto3 default
            byte[] key = [];
            var closer = new List<KadPeer>();
            var providers = new List<KadPeer>();
            uint tag;
            while ((tag = input.ReadTag()) != 0)
            {
                switch (tag)
                {
                    case 8:
                        type = (KadMessageType)input.ReadEnum();
                        break;
                    case 18:
                        key = input.ReadBytes().ToByteArray();
                        break;
                    case 66:
                    case 74:
                        var list = tag == 66 ? closer : providers;
                        if (list.Count >= MaxPeers)
                        {
                            throw new InvalidDataException($"kad message carries more than {MaxPeers} peers");
                        }

                        list.Add(DecodePeer(input.ReadBytes().ToByteArray()));
                        break;
                    default:
                        input.SkipLastField();
                        break;
                }
            }

            if (!Enum.IsDefined(type))
            {
                throw new InvalidDataException($"unknown kad message type {(int)type}");
            }

            return new KadMessage { Type = type, Key = key, CloserPeers = closer, ProviderPeers = providers };
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw new InvalidDataException("malformed kad message: " + ex.Message, ex);
        }
    }

    private static KadPeer DecodePeer(byte[] bytes)
    {
        var input = new CodedInputStream(bytes);
        PeerId? id = null;
        var addresses = new List<Multiaddr>();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (tag)
            {
                case 10:
                    id = PeerId.TryFromBytes(input.ReadBytes().Span, out var peer) ? peer : throw new InvalidDataException("kad peer with a malformed id");
                    break;
                case 18:
                    var raw = input.ReadBytes();
                    if (addresses.Count < MaxAddressesPerPeer && Multiaddr.TryFromBytes(raw.Span, out var address))
                    {
                        addresses.Add(address);
                    }

                    break;
                default:
                    input.SkipLastField();
                    break;
            }
        }

        return new KadPeer(id ?? throw new InvalidDataException("kad peer without an id"), addresses);
    }
}
