using Mero.Node.Replication.Wire;
using Mero.Primitives;

namespace Mero.Node.Replication;

/// <summary>Which tree-sync message a sealed leaf blob belongs to (bound into the associated data).</summary>
public enum TreeLeafUse : byte
{
    /// <summary>Leaves in a <see cref="TreeNodeResponse"/>.</summary>
    Answer = 0,

    /// <summary>Leaves in an <see cref="EntityPush"/>.</summary>
    Push = 1,
}

/// <summary>
/// The leaves of one tree-sync message (borsh <c>Vec&lt;TreeLeafData&gt;</c>), sealed under the
/// context key (<see cref="ContextSealing"/>, as snapshot pages, without compression: leaf batches
/// are small): the sync stream is only transport-encrypted and the requester's party id is a
/// claim, so only holders of the key may read state this way. The associated data is its own tag,
/// the use, the context and the key id,
/// so neither a snapshot page nor an answer can be replayed as a push, nor a blob in another context.
/// </summary>
public static class TreeLeafSealing
{
    /// <summary>Bytes a sealed blob adds to the leaves: key id, nonce, AEAD tag.</summary>
    public const int Overhead = ContextSealing.Overhead;

    private static readonly byte[] AssociatedTag = "mero/tree-leaves/v1"u8.ToArray();

    public static byte[] Seal(ContextId context, TreeLeafUse use, IReadOnlyList<TreeLeafData> leaves, ContextKey key)
    {
        var plain = new BorshWriter(256);
        plain.WriteVec(leaves, static (w, l) => l.Write(w));
        return ContextSealing.Seal(key, plain.WrittenSpan, AssociatedData(context, use, key.KeyId));
    }

    /// <summary>The key id a sealed blob names (in clear, so the receiver can pick the key).</summary>
    public static Hash KeyIdOf(ReadOnlySpan<byte> payload) =>
        ContextSealing.KeyIdOf(payload) ?? throw new InvalidDataException("sealed tree leaves shorter than their key id");

    /// <summary>
    /// Authenticates and decodes a blob; at most <paramref name="maxLeaves"/> leaves, each within
    /// the wire limits of <see cref="TreeLeafData"/>. Throws <see cref="InvalidDataException"/> for a
    /// blob under another key, for another context or use, tampered, or malformed inside.
    /// </summary>
    public static IReadOnlyList<TreeLeafData> Open(ContextId context, TreeLeafUse use, ReadOnlySpan<byte> payload, ContextKey key, int maxLeaves)
    {
        var plain = ContextSealing.Open(payload, key, AssociatedData(context, use, key.KeyId), out var namesKey)
            ?? throw new InvalidDataException(namesKey
                ? "tree leaves do not open under this context key (tampered, or for another context)"
                : "tree leaves are not sealed under this context key");
        try
        {
            var reader = new BorshReader(plain);
            var count = reader.ReadCount(4, maxLeaves);
            var leaves = new TreeLeafData[count];
            for (var i = 0; i < count; i++)
            {
                leaves[i] = TreeLeafData.Read(ref reader);
            }

            reader.EnsureEnd();
            return leaves;
        }
        catch (BorshException ex)
        {
            // Authentic but malformed: a member's bug or a hostile member; refused all the same.
            throw new InvalidDataException($"sealed tree leaves are malformed: {ex.Message}", ex);
        }
    }

    private static byte[] AssociatedData(ContextId context, TreeLeafUse use, Hash keyId) =>
        [.. AssociatedTag, (byte)use, .. context.AsSpan(), .. keyId.AsSpan()];
}
