namespace Mero.Node.Replication.Wire;

/// <summary>
/// Bounds every decoder checks before it allocates, so a hostile peer cannot make us reserve more
/// than a message's own size. Values follow upstream's protocol/networking wire limits where it
/// names one; the rest are ours (docs/replication.md).
/// </summary>
public static class WireLimits
{
    /// <summary>Largest gossip message we publish or accept: the artifact and events caps plus headers.</summary>
    public const int MaxBroadcastBytes = MaxArtifactBytes + MaxEventsBytes + 16 * 1024;

    /// <summary>Encrypted CRDT actions of one execute.</summary>
    public const int MaxArtifactBytes = 4 * 1024 * 1024;

    /// <summary>Encrypted events of one execute.</summary>
    public const int MaxEventsBytes = 1024 * 1024;

    /// <summary>DAG heads carried by one heartbeat or handshake (upstream: 100).</summary>
    public const int MaxHeads = 100;

    /// <summary>Parents of one op, as the DAG's cap.</summary>
    public const int MaxParents = 64;

    /// <summary>A signed governance op (upstream: 64 KiB).</summary>
    public const int MaxGovernancePayloadBytes = 64 * 1024;

    /// <summary>AEAD nonce (ChaCha20-Poly1305 / AES-GCM: 96 bits).</summary>
    public const int NonceLength = 12;

    public const int SignatureLength = 64;

    /// <summary>Deepest walk one tree-node request may ask for (upstream: MAX_TREE_REQUEST_DEPTH = 16).</summary>
    public const int MaxTreeRequestDepth = 16;

    /// <summary>Collection nodes in one tree-node response.</summary>
    public const int MaxTreeNodesPerResponse = 256;

    /// <summary>Children (entries and nested collections) listed for one node; a larger collection is refused.</summary>
    public const int MaxTreeChildren = 65_536;

    /// <summary>Leaves asked for (and answered) in one tree-node request.</summary>
    public const int MaxTreeLeafKeys = 256;

    /// <summary>Steps of a leaf's collection path (the entity tree nests 16 deep).</summary>
    public const int MaxTreePathSteps = 16;

    /// <summary>Leaves in one entity push.</summary>
    public const int MaxEntityPushLeaves = 1024;

    /// <summary>Largest entity push request (the only request above the 64 KiB request cap).</summary>
    public const int MaxEntityPushBytes = 8 * 1024 * 1024;
}
