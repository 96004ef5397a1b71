namespace Mero.Node.Network;

/// <summary>The node's libp2p side: who it is, where it listens and whom it dials at start.</summary>
public sealed record SwarmOptions
{
    /// <summary>The node's identity keypair in libp2p's protobuf encoding, base58 (config <c>[identity] keypair</c>).</summary>
    public required string IdentityKeypair { get; init; }

    /// <summary><c>[swarm] listen</c>; an empty list keeps the node off the network.</summary>
    public IReadOnlyList<string> Listen { get; init; } = [];

    /// <summary><c>[bootstrap] nodes</c>: multiaddrs with a trailing <c>/p2p/PEER</c>.</summary>
    public IReadOnlyList<string> BootstrapNodes { get; init; } = [];

    public TimeSpan BootstrapDialTimeout { get; init; } = TimeSpan.FromSeconds(10);
}
