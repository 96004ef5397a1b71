using NSec.Cryptography;

namespace Mero.Crypto;

/// <summary>
/// An X25519 key-agreement key. Derived from an Ed25519 seed with HKDF so one stored secret per
/// namespace identity yields both the signing key and the key other members wrap group keys to.
/// </summary>
public sealed class X25519KeyPair : IDisposable
{
    private static readonly KeyAgreementAlgorithm Algorithm = KeyAgreementAlgorithm.X25519;

    private X25519KeyPair(Key key)
    {
        Key = key;
        PublicKey = key.PublicKey.Export(KeyBlobFormat.RawPublicKey);
    }

    public const int KeyLength = 32;

    public byte[] PublicKey { get; }

    internal Key Key { get; }

    public static X25519KeyPair Generate() =>
        new(NSec.Cryptography.Key.Create(Algorithm, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport }));

    public static X25519KeyPair FromPrivateKey(ReadOnlySpan<byte> privateKey) =>
        new(NSec.Cryptography.Key.Import(Algorithm, privateKey, KeyBlobFormat.RawPrivateKey, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport }));

    /// <summary>The agreement key belonging to an Ed25519 identity seed (domain-separated HKDF of the seed).</summary>
    public static X25519KeyPair DeriveFromSigningSeed(ReadOnlySpan<byte> ed25519Seed)
    {
        var privateKey = System.Security.Cryptography.HKDF.DeriveKey(
            System.Security.Cryptography.HashAlgorithmName.SHA256, ed25519Seed.ToArray(), KeyLength, [], "mero/x25519-from-ed25519/v1"u8.ToArray());
        return FromPrivateKey(privateKey);
    }

    public byte[] ExportPrivateKey() => Key.Export(KeyBlobFormat.RawPrivateKey);

    public void Dispose() => Key.Dispose();
}
