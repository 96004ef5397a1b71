using Mero.Crypto;

namespace Mero.Governance;

/// <summary>
/// This node's identity inside one namespace: an Ed25519 signing key (its member key in every
/// group of the namespace) and the X25519 key derived from it that group keys are wrapped to.
/// Different namespaces get different identities, so they cannot be linked.
/// </summary>
public sealed class NamespaceIdentity : IDisposable
{
    private NamespaceIdentity(byte[] seed)
    {
        Seed = seed;
        Signing = Ed25519KeyPair.FromSeed(seed);
        Agreement = X25519KeyPair.DeriveFromSigningSeed(seed);
    }

    public Ed25519KeyPair Signing { get; }

    public X25519KeyPair Agreement { get; }

    public PublicKey PublicKey => Signing.PublicKey;

    internal byte[] Seed { get; }

    /// <summary>A copy of the Ed25519 seed: the node uses it as its member identity in the namespace's contexts.</summary>
    public byte[] ExportSeed() => [.. Seed];

    public static NamespaceIdentity Generate()
    {
        using var key = Ed25519KeyPair.Generate();
        return new(key.ExportSeed());
    }

    public static NamespaceIdentity FromSeed(ReadOnlySpan<byte> seed) => new(seed.ToArray());

    public void Dispose()
    {
        Signing.Dispose();
        Agreement.Dispose();
    }
}
