using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Mero.Network.Multiformats;

namespace Mero.Network.Pubsub;

/// <summary>A verified pubsub message: StrictSign guarantees <see cref="From"/> and <see cref="Seqno"/>.</summary>
public sealed record GossipMessage(string Topic, byte[] Data, PeerId From, ulong Seqno)
{
    /// <summary>The id under which routers deduplicate the message.</summary>
    public byte[] Id { get; init; } = [];

    /// <summary>The neighbour it arrived from; null for messages published here.</summary>
    public PeerId? ReceivedFrom { get; init; }

    /// <summary>Upstream's (rust-libp2p's) default id: base58 of the source ‖ decimal seqno, UTF-8.</summary>
    public static byte[] DefaultId(GossipMessage message) =>
        Encoding.UTF8.GetBytes(message.From.ToString() + message.Seqno.ToString(CultureInfo.InvariantCulture));

    internal static ulong ReadSeqno(byte[]? seqno) =>
        seqno is { Length: 8 } ? BinaryPrimitives.ReadUInt64BigEndian(seqno) : throw new InvalidDataException($"seqno must be 8 bytes, got {seqno?.Length.ToString(CultureInfo.InvariantCulture) ?? "none"}");
}

/// <summary>A validator's verdict (libp2p: accept / reject penalises the sender / ignore drops quietly).</summary>
public enum ValidationResult
{
    Accept,
    Reject,
    Ignore,
}

/// <summary>Checks an inbound message before it is delivered and forwarded.</summary>
public delegate ValueTask<ValidationResult> GossipValidator(GossipMessage message, CancellationToken ct);

/// <summary>The outcome of a publish: the message id and how many peers it was sent to.</summary>
public sealed record PublishResult(byte[] MessageId, int Peers);
