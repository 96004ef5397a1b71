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
}
