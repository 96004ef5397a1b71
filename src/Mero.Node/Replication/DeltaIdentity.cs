using Mero.Crypto;
using Mero.Node.Replication.Wire;
using Mero.Primitives;
using Mero.Primitives.Clock;

namespace Mero.Node.Replication;

/// <summary>
/// How a context op is named and signed. The id hashes the op's content (context, parents, HLC,
/// author, plaintext artifact), so a receiver that decrypts the artifact can prove the bytes are
/// the ones the author named; the signature covers the id with upstream's domain tag, so authorship
/// is checked before any decryption. The AEAD binds the ciphertext to the id as associated data.
/// </summary>
public static class DeltaIdentity
{
    public const string SignatureDomain = "calimero/delta/1";

    private const string IdDomain = "mero/delta-id/v1";

    /// <summary>Parents are hashed in sorted order: the same parent set always gives the same id.</summary>
    public static Hash ComputeId(ContextId contextId, IReadOnlyList<Hash> parents, HybridTimestamp hlc, PublicKey author, ReadOnlySpan<byte> artifact)
    {
        var writer = new BorshWriter(128 + artifact.Length);
        writer.WriteString(IdDomain).WriteId(contextId);
        writer.WriteVec(parents.Order().ToArray(), static (w, h) => w.WriteId(h));
        hlc.WriteBorsh(writer);
        writer.WriteId(author).WriteBytes(artifact);
        return Hashing.Sha256(writer.WrittenSpan);
    }

    public static byte[] SignableBytes(ContextId contextId, Hash deltaId, PublicKey author, IReadOnlyList<Hash>? governanceHeads)
    {
        var writer = new BorshWriter(160);
        writer.WriteString(SignatureDomain).WriteId(contextId).WriteId(deltaId).WriteId(author);
        writer.WriteOption(governanceHeads, static (w, heads) => w.WriteVec(heads.ToArray(), static (w2, h) => w2.WriteId(h)));
        return writer.ToArray();
    }

    public static byte[] Sign(Ed25519KeyPair author, ContextId contextId, Hash deltaId, IReadOnlyList<Hash>? governanceHeads) =>
        author.Sign(SignableBytes(contextId, deltaId, author.PublicKey, governanceHeads));

    /// <summary>True when the author's key signed this op's id, context and governance cut.</summary>
    public static bool VerifySignature(StateDelta delta) =>
        Ed25519KeyPair.Verify(delta.AuthorId, SignableBytes(delta.ContextId, delta.DeltaId, delta.AuthorId, delta.GovernanceHeads), delta.Signature);
}
