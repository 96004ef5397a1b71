using System.Buffers.Binary;
using System.Text;
using Mero.Crypto;
using Mero.Network.Multiformats;

namespace Mero.Network.Pubsub;

/// <summary>StrictSign: every message carries from, an 8-byte seqno and an Ed25519 signature over
/// <c>"libp2p-pubsub:" ‖ protobuf(message without signature and key)</c>.</summary>
internal static class MessageSigning
{
    private static readonly byte[] Prefix = Encoding.ASCII.GetBytes("libp2p-pubsub:");

    public static PubsubMessage Sign(Ed25519KeyPair identity, PeerId self, string topic, byte[] data, ulong seqno)
    {
        var seq = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(seq, seqno);
        var unsigned = new PubsubMessage { From = self.ToBytes(), Data = data, Seqno = seq, Topic = topic };
        var signature = identity.Sign([.. Prefix, .. PubsubRpc.EncodeMessage(unsigned, includeSignature: false)]);
        // An identity-hashed (Ed25519) peer id inlines the key, so the key field stays empty.
        return unsigned with { Signature = signature };
    }

    /// <summary>The verified message, or an error saying why it fails StrictSign.</summary>
    public static (GossipMessage? Message, string? Error) Verify(PubsubMessage message)
    {
        if (message.From is null || !PeerId.TryFromBytes(message.From, out var from))
        {
            return (null, "missing or malformed from");
        }

        if (message.Seqno is not { Length: 8 })
        {
            return (null, "seqno is not 8 bytes");
        }

        if (message.Signature is null)
        {
            return (null, "unsigned");
        }

        Libp2pPublicKey? key;
        if (message.Key is not null)
        {
            try
            {
                key = Libp2pPublicKey.FromProtobuf(message.Key);
            }
            catch (FormatException ex)
            {
                return (null, "unreadable key: " + ex.Message);
            }

            if (!from.Matches(key))
            {
                return (null, "key does not match from");
            }
        }
        else if (!from.TryGetPublicKey(out key))
        {
            return (null, "no key and from does not inline one");
        }

        var signed = PubsubRpc.EncodeMessage(message, includeSignature: false);
        if (!key.Verify([.. Prefix, .. signed], message.Signature))
        {
            return (null, "bad signature");
        }

        return (new GossipMessage(message.Topic, message.Data, from, GossipMessage.ReadSeqno(message.Seqno)), null);
    }
}
