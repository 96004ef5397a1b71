using System.Security.Cryptography;
using Mero.Crypto;
using Mero.Node.Replication.Wire;
using Mero.Primitives;

namespace Mero.Node.Replication;

/// <summary>
/// Turns a plaintext <see cref="ContextOp"/> into the gossip form and back. The artifact, the
/// author's root and the events are sealed together (ChaCha20-Poly1305, fresh random nonce) under
/// the context key; the associated data binds the ciphertext to the context, the op id and the key
/// id, so a ciphertext cannot be replayed under another op.
/// </summary>
public static class DeltaSealing
{
    private const byte PayloadVersion = 1;

    public static StateDelta Seal(ContextOp op, ContextKey key)
    {
        var payload = new BorshWriter(64 + op.Artifact.Length);
        payload.WriteU8(PayloadVersion).WriteId(op.RootHash).WriteBytes(op.Artifact);
        ContextOp.WriteEvents(payload, op.Events);
        var nonce = RandomNumberGenerator.GetBytes(Aead.NonceLength);
        var ciphertext = Aead.Encrypt(key.Key, nonce, payload.WrittenSpan, AssociatedData(op.ContextId, op.Id, key.KeyId));
        return new StateDelta(op.ContextId, op.Author, op.Id, op.Parents, op.Hlc, ciphertext, nonce, op.GovernanceHeads, key.KeyId, op.Signature);
    }

    /// <summary>
    /// Decrypts and checks that the plaintext hashes to the claimed op id. Returns null when the key
    /// does not open it or the content does not match the id (both mean: not this op).
    /// </summary>
    public static ContextOp? Open(StateDelta delta, ContextKey key)
    {
        if (key.KeyId != delta.KeyId)
        {
            return null;
        }

        var plaintext = Aead.Decrypt(key.Key, delta.Nonce, delta.Artifact, AssociatedData(delta.ContextId, delta.DeltaId, delta.KeyId));
        if (plaintext is null)
        {
            return null;
        }

        ContextOp op;
        try
        {
            var reader = new BorshReader(plaintext);
            if (reader.ReadU8() != PayloadVersion)
            {
                return null;
            }

            var root = reader.ReadId<IdKinds.Hash>();
            var artifact = reader.ReadBytes(WireLimits.MaxArtifactBytes);
            var events = ContextOp.ReadEvents(ref reader);
            reader.EnsureEnd();
            op = new ContextOp(delta.ContextId, delta.DeltaId, delta.ParentIds, delta.Hlc, delta.AuthorId, artifact, root, events, delta.GovernanceHeads, delta.Signature);
        }
        catch (BorshException)
        {
            return null;
        }

        return op.HasValidId() ? op : null;
    }

    /// <summary>Key id as upstream names it: SHA-256 of the key.</summary>
    public static Hash KeyIdOf(ReadOnlySpan<byte> key) => Hashing.Sha256(key);

    private static byte[] AssociatedData(ContextId context, Hash deltaId, Hash keyId)
    {
        var ad = new byte[96];
        context.AsSpan().CopyTo(ad);
        deltaId.AsSpan().CopyTo(ad.AsSpan(32));
        keyId.AsSpan().CopyTo(ad.AsSpan(64));
        return ad;
    }
}
