using Mero.Crypto;
using Mero.Dag;
using Mero.Primitives;

namespace Mero.Governance;

/// <summary>
/// The signed envelope of one governance op. Wire form: signable bytes ‖ Ed25519 signature (64).
/// Signable bytes (borsh): schema version u8, namespace [32], parents Vec&lt;[32]&gt; (ascending),
/// signer [32], nonce u64, state hash [32], payload enum { 0: Clear(Vec&lt;u8&gt;), 1: Sealed(key id [32],
/// nonce [12], Vec&lt;u8&gt;) }. The op hash (its DAG id) is SHA-256 of the signable bytes.
/// </summary>
public sealed class SignedGroupOp : IDagNode
{
    public const byte SchemaVersion = 1;
    public const int MaxWireBytes = 256 * 1024;

    private SignedGroupOp(byte[] wire, int signableLength, GroupId ns, Hash[] parents, PublicKey signer, ulong nonce, Hash stateHash, byte[]? clear, Hash sealedKeyId, byte[]? sealedNonce, byte[]? ciphertext)
    {
        Wire = wire;
        SignableLength = signableLength;
        Namespace = ns;
        Parents = parents;
        Signer = signer;
        Nonce = nonce;
        StateHash = stateHash;
        ClearPayload = clear;
        SealedKeyId = sealedKeyId;
        SealedNonce = sealedNonce;
        Ciphertext = ciphertext;
        Id = Hashing.Sha256(SignableBytes);
    }

    public byte[] Wire { get; }

    public Hash Id { get; }

    public GroupId Namespace { get; }

    public IReadOnlyList<Hash> Parents { get; }

    public PublicKey Signer { get; }

    public ulong Nonce { get; }

    /// <summary>The group-state hash the author saw: an optimistic lock for local ops, an assertion otherwise.</summary>
    public Hash StateHash { get; }

    public bool IsSealed => ClearPayload is null;

    public Hash SealedKeyId { get; }

    internal byte[]? ClearPayload { get; }

    internal byte[]? SealedNonce { get; }

    internal byte[]? Ciphertext { get; }

    internal int SignableLength { get; }

    public ReadOnlySpan<byte> SignableBytes => Wire.AsSpan(0, SignableLength);

    public ReadOnlySpan<byte> Signature => Wire.AsSpan(SignableLength);

    /// <summary>Verifies once and remembers: the actor verifies on the sender's thread, the loop then reuses the verdict.</summary>
    public bool VerifySignature() => _verified ??= Ed25519KeyPair.Verify(Signer, SignableBytes, Signature);

    private bool? _verified;

    /// <summary>
    /// Signs an op. Root ops go in clear; others are sealed under <paramref name="groupKey"/> with a
    /// synthetic nonce (hash of plaintext, signer and nonce) so no randomness is needed and
    /// distinct plaintexts never share a nonce.
    /// </summary>
    public static SignedGroupOp Create(Ed25519KeyPair signer, GroupId ns, IEnumerable<Hash> parents, ulong nonce, Hash stateHash, GroupOp op, (Hash KeyId, byte[] Key)? groupKey)
    {
        if (groupKey is not { } k)
        {
            return CreateWith(signer, ns, parents, nonce, stateHash, op, null);
        }

        using var cipher = new AeadKey(k.Key);
        return CreateWith(signer, ns, parents, nonce, stateHash, op, (k.KeyId, cipher));
    }

    internal static SignedGroupOp CreateWith(Ed25519KeyPair signer, GroupId ns, IEnumerable<Hash> parents, ulong nonce, Hash stateHash, GroupOp op, (Hash KeyId, AeadKey Key)? groupKey)
    {
        ArgumentNullException.ThrowIfNull(signer);
        ArgumentNullException.ThrowIfNull(op);
        var sortedParents = parents.Distinct().Order().ToArray();
        var plaintext = op.Encode();
        var w = new BorshWriter(plaintext.Length + 200 + (sortedParents.Length * 32));
        w.WriteU8(SchemaVersion).WriteId(ns).WriteVec(sortedParents, static (w, p) => w.WriteId(p)).WriteId(signer.PublicKey).WriteU64(nonce).WriteId(stateHash);
        if (op.IsRootOp || groupKey is null)
        {
            if (!op.IsRootOp)
            {
                throw new InvalidOperationException($"{op.GetType().Name} must be sealed under a group key");
            }

            w.WriteU8(0).WriteBytes(plaintext);
        }
        else
        {
            var (keyId, key) = groupKey.Value;
            var sealNonce = Hashing.Sha256Tagged("mero/gov-seal-nonce/v1", plaintext, signer.PublicKey.ToArray(), BitConverter.GetBytes(nonce)).AsSpan()[..Aead.NonceLength].ToArray();
            var ciphertext = key.Encrypt(sealNonce, plaintext, SealAad(ns, keyId));
            w.WriteU8(1).WriteId(keyId).WriteFixed(sealNonce).WriteBytes(ciphertext);
        }

        var signableLength = w.Length;
        var wire = new byte[signableLength + Ed25519KeyPair.SignatureLength];
        w.WrittenSpan.CopyTo(wire);
        signer.Sign(wire.AsSpan(0, signableLength), wire.AsSpan(signableLength));
        return Decode(wire);
    }

    /// <summary>Parses an envelope from untrusted bytes; throws <see cref="BorshException"/> when malformed.</summary>
    public static SignedGroupOp Decode(byte[] wire)
    {
        ArgumentNullException.ThrowIfNull(wire);
        if (wire.Length > MaxWireBytes)
        {
            throw new BorshException($"envelope of {wire.Length} bytes exceeds {MaxWireBytes}");
        }

        if (wire.Length < Ed25519KeyPair.SignatureLength)
        {
            throw new BorshException("envelope shorter than a signature");
        }

        var r = new BorshReader(wire.AsSpan(0, wire.Length - Ed25519KeyPair.SignatureLength));
        var version = r.ReadU8();
        if (version != SchemaVersion)
        {
            throw new BorshException($"unsupported schema version {version}");
        }

        var ns = r.ReadId<IdKinds.Group>();
        var count = r.ReadCount(32, DagOptions.DefaultMaxParents * 4);
        var parents = new Hash[count];
        for (var i = 0; i < count; i++)
        {
            parents[i] = r.ReadId<IdKinds.Hash>();
            if (i > 0 && parents[i - 1].CompareTo(parents[i]) >= 0)
            {
                throw new BorshException("parents must be strictly ascending");
            }
        }

        var signer = r.ReadId<IdKinds.PublicKey>();
        var nonce = r.ReadU64();
        var stateHash = r.ReadId<IdKinds.Hash>();
        byte[]? clear = null, sealNonce = null, ciphertext = null;
        Hash keyId = default;
        switch (r.ReadU8())
        {
            case 0:
                clear = r.ReadBytes();
                break;
            case 1:
                keyId = r.ReadId<IdKinds.Hash>();
                sealNonce = r.ReadFixed(Aead.NonceLength).ToArray();
                ciphertext = r.ReadBytes();
                break;
            case var tag:
                throw new BorshException($"unknown payload variant {tag}");
        }

        r.EnsureEnd();
        return new(wire, wire.Length - Ed25519KeyPair.SignatureLength, ns, parents, signer, nonce, stateHash, clear, keyId, sealNonce, ciphertext);
    }

    /// <summary>The op inside: decoded from clear bytes or opened with <paramref name="key"/>. Null when the key does not open it.</summary>
    internal GroupOp? Open(AeadKey? key)
    {
        if (ClearPayload is not null)
        {
            var op = GroupOp.Decode(ClearPayload);
            return op.IsRootOp ? op : throw new BorshException($"{op.GetType().Name} must not travel in clear");
        }

        if (key is null)
        {
            return null;
        }

        var plaintext = key.Decrypt(SealedNonce, Ciphertext, SealAad(Namespace, SealedKeyId));
        if (plaintext is null)
        {
            return null;
        }

        var sealedOp = GroupOp.Decode(plaintext);
        return sealedOp.IsRootOp ? throw new BorshException($"{sealedOp.GetType().Name} must travel in clear") : sealedOp;
    }

    private static byte[] SealAad(GroupId ns, Hash keyId) => [.. ns.AsSpan(), .. keyId.AsSpan()];
}
