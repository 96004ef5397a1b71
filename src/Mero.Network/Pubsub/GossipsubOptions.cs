using Mero.Network.Yamux;

namespace Mero.Network.Pubsub;

/// <summary>Gossipsub v1.1 parameters (names follow libp2p/specs pubsub/gossipsub); validated on construction of the router.</summary>
public sealed record GossipsubOptions
{
    public const string ProtocolV11 = "/meshsub/1.1.0";
    public const string ProtocolV10 = "/meshsub/1.0.0";

    /// <summary>Protocols we serve and propose, best first.</summary>
    public IReadOnlyList<string> Protocols { get; init; } = [ProtocolV11, ProtocolV10];

    /// <summary>Target mesh degree.</summary>
    public int D { get; init; } = 6;

    public int DLow { get; init; } = 5;

    public int DHigh { get; init; } = 12;

    /// <summary>Peers to whom gossip (IHAVE) is emitted each heartbeat, at least.</summary>
    public int DLazy { get; init; } = 6;

    /// <summary>Fraction of non-mesh topic peers gossiped to, when more than <see cref="DLazy"/>.</summary>
    public double GossipFactor { get; init; } = 0.25;

    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Delay before the first heartbeat.</summary>
    public TimeSpan HeartbeatInitialDelay { get; init; } = TimeSpan.FromMilliseconds(100);

    public TimeSpan FanoutTtl { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Heartbeats a message stays in the cache (answerable by IWANT).</summary>
    public int HistoryLength { get; init; } = 5;

    /// <summary>Heartbeats of the cache advertised in IHAVE.</summary>
    public int HistoryGossip { get; init; } = 3;

    /// <summary>How long a message id is remembered to drop duplicates.</summary>
    public TimeSpan SeenTtl { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>A peer pruned from a topic may not be grafted again before this.</summary>
    public TimeSpan PruneBackoff { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Send own messages to every subscribed peer (above the publish threshold), not only the mesh.</summary>
    public bool FloodPublish { get; init; } = true;

    /// <summary>Largest RPC frame read or written (upstream Calimero: 1 MiB of message plus framing).</summary>
    public int MaxTransmitSize { get; init; } = 64 * 1024;

    /// <summary>RPCs queued for one peer; when full the oldest gossip is dropped and the peer loses score.</summary>
    public int MaxQueuedRpcsPerPeer { get; init; } = 256;

    /// <summary>Messages queued for one local subscriber before the oldest are dropped.</summary>
    public int SubscriberCapacity { get; init; } = 1024;

    /// <summary>Validations running at once; more inbound messages are ignored (not penalised).</summary>
    public int MaxConcurrentValidations { get; init; } = 1024;

    public TimeSpan ValidationTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Message ids per IHAVE and IWANT we answer or emit per peer per heartbeat.</summary>
    public int MaxIHaveLength { get; init; } = 5000;

    public PeerScoreOptions Score { get; init; } = new();

    /// <summary>Message id: upstream's default, <c>base58(from) ‖ decimal(seqno)</c> as UTF-8 bytes.</summary>
    public Func<GossipMessage, byte[]> MessageId { get; init; } = GossipMessage.DefaultId;

    /// <summary>Upstream Calimero's preset: D 4 (2..8), flood publish, 1 MiB messages, the rest default.</summary>
    public static GossipsubOptions Calimero { get; } = new()
    {
        D = 4,
        DLow = 2,
        DHigh = 8,
        MaxTransmitSize = 1024 * 1024 + 64 * 1024,
    };

    public void Validate()
    {
        YamuxOptions.Require(Protocols.Count > 0 && Protocols.All(p => p.StartsWith('/')), nameof(Protocols), "non-empty protocol ids");
        YamuxOptions.Require(DLow >= 1 && DLow <= D && D <= DHigh, nameof(D), "1 <= DLow <= D <= DHigh");
        YamuxOptions.Require(DLazy >= 0, nameof(DLazy), ">= 0");
        YamuxOptions.Require(GossipFactor is >= 0 and <= 1, nameof(GossipFactor), "in [0, 1]");
        YamuxOptions.Require(HeartbeatInterval > TimeSpan.Zero, nameof(HeartbeatInterval), "> 0");
        YamuxOptions.Require(HeartbeatInitialDelay >= TimeSpan.Zero, nameof(HeartbeatInitialDelay), ">= 0");
        YamuxOptions.Require(FanoutTtl > TimeSpan.Zero, nameof(FanoutTtl), "> 0");
        YamuxOptions.Require(HistoryGossip >= 1 && HistoryGossip <= HistoryLength, nameof(HistoryGossip), "1 <= HistoryGossip <= HistoryLength");
        YamuxOptions.Require(SeenTtl > TimeSpan.Zero, nameof(SeenTtl), "> 0");
        YamuxOptions.Require(PruneBackoff >= TimeSpan.Zero, nameof(PruneBackoff), ">= 0");
        YamuxOptions.Require(MaxTransmitSize >= 1024, nameof(MaxTransmitSize), ">= 1 KiB");
        YamuxOptions.Require(MaxQueuedRpcsPerPeer >= 1, nameof(MaxQueuedRpcsPerPeer), ">= 1");
        YamuxOptions.Require(SubscriberCapacity >= 1, nameof(SubscriberCapacity), ">= 1");
        YamuxOptions.Require(MaxConcurrentValidations >= 1, nameof(MaxConcurrentValidations), ">= 1");
        YamuxOptions.Require(ValidationTimeout > TimeSpan.Zero, nameof(ValidationTimeout), "> 0");
        YamuxOptions.Require(MaxIHaveLength >= 1, nameof(MaxIHaveLength), ">= 1");
        Score.Validate();
    }
}

/// <summary>
/// Basic peer scoring: an application-specific score (weight 1, as upstream pushes it) plus a penalty
/// for invalid messages and broken RPCs (spec P4: count² × weight), decaying every heartbeat.
/// </summary>
public sealed record PeerScoreOptions
{
    public double InvalidMessageWeight { get; init; } = -10;

    /// <summary>Multiplier applied to the invalid-message counter every heartbeat.</summary>
    public double InvalidMessageDecay { get; init; } = 0.9;

    public double AppSpecificWeight { get; init; } = 1;

    /// <summary>Below this no gossip is sent to or accepted from the peer.</summary>
    public double GossipThreshold { get; init; } = -10;

    /// <summary>Below this own messages are not flood-published to the peer.</summary>
    public double PublishThreshold { get; init; } = -50;

    /// <summary>Below this every RPC from the peer is ignored.</summary>
    public double GraylistThreshold { get; init; } = -80;

    /// <summary>Below this the peer is disconnected.</summary>
    public double DisconnectThreshold { get; init; } = -200;

    public void Validate()
    {
        YamuxOptions.Require(InvalidMessageWeight <= 0, nameof(InvalidMessageWeight), "<= 0");
        YamuxOptions.Require(InvalidMessageDecay is > 0 and < 1, nameof(InvalidMessageDecay), "in (0, 1)");
        YamuxOptions.Require(GossipThreshold <= 0 && PublishThreshold <= GossipThreshold && GraylistThreshold <= PublishThreshold && DisconnectThreshold <= GraylistThreshold,
            nameof(GossipThreshold), "0 >= gossip >= publish >= graylist >= disconnect");
    }
}
