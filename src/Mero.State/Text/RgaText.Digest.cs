using System.Buffers.Binary;
using System.Security.Cryptography;
using Mero.State.Crdt;

namespace Mero.State.Text;

/// <summary>
/// An order-independent digest of the document kept up to date per edit, so a CRDT commit does
/// not re-encode the whole text to hash it: the sum (mod 2^256) of one leaf per character,
/// SHA-256(tag ‖ replica key ‖ seq ‖ time ‖ left origin ‖ right origin [‖ code point]) with tag
/// 'c' for a live character (with its code point) and 'd' for a tombstone. A character's origins
/// are its run's for the first and the previous character for the others, so the leaves depend
/// only on the document's content, not on how ops were grouped or in which order they arrived.
/// </summary>
public sealed partial class RgaText
{
    private Sum256 _digestDelta;

    /// <summary>
    /// Keep the running digest (a SHA-256 per inserted char, two per deleted one). Off by default:
    /// only the CRDT transaction needs it; a bare document (traces, merges) runs without the cost.
    /// </summary>
    internal bool TrackDigest { get; set; }

    /// <summary>The digest change since the last call (added to the collection's child sum).</summary>
    internal Sum256 TakeDigestDelta()
    {
        var delta = _digestDelta;
        _digestDelta = default;
        return delta;
    }

    /// <summary>The whole digest computed from scratch (O(n); tests compare it with the running sum).</summary>
    internal Sum256 ComputeDigest()
    {
        var sum = default(Sum256);
        Span<byte> hash = stackalloc byte[32];
        for (var leaf = _first; leaf is not null; leaf = leaf.Next)
        {
            for (var i = 0; i < leaf.Count; i++)
            {
                var item = leaf.Items[i];
                for (var k = 0; k < item.Length; k++)
                {
                    CharLeaf(item, k, !item.Deleted, hash);
                    sum.Add(hash);
                }
            }
        }

        return sum;
    }

    /// <summary>Adds the live leaves of chars offset.. of a freshly placed item.</summary>
    private void DigestInserted(in RgaItem item, int offset, int count)
    {
        if (!TrackDigest)
        {
            return;
        }

        Span<byte> hash = stackalloc byte[32];
        for (var k = offset; k < offset + count; k++)
        {
            CharLeaf(item, k, live: true, hash);
            _digestDelta.Add(hash);
        }
    }

    /// <summary>Swaps the live leaves of chars offset..offset+take of an item for tombstone leaves.</summary>
    private void DigestDeleted(in RgaItem item, int offset, int take)
    {
        if (!TrackDigest)
        {
            return;
        }

        Span<byte> hash = stackalloc byte[32];
        for (var k = offset; k < offset + take; k++)
        {
            CharLeaf(item, k, live: true, hash);
            _digestDelta.Subtract(hash);
            CharLeaf(item, k, live: false, hash);
            _digestDelta.Add(hash);
        }
    }

    private void CharLeaf(in RgaItem item, int k, bool live, Span<byte> destination)
    {
        Span<byte> buffer = stackalloc byte[1 + 32 + 4 + 8 + (2 * (1 + 32 + 4)) + 4];
        var seq = item.Seq + k;
        var log = _logs[item.Replica];
        buffer[0] = live ? (byte)'c' : (byte)'d';
        log.Key.AsSpan().CopyTo(buffer[1..]);
        BinaryPrimitives.WriteInt32LittleEndian(buffer[33..], seq);
        BinaryPrimitives.WriteUInt64LittleEndian(buffer[37..], log.Times[seq]);
        var at = 45;
        at = WriteOrigin(buffer, at, k == 0 ? item.LeftReplica : item.Replica, k == 0 ? item.LeftSeq : seq - 1);
        at = WriteOrigin(buffer, at, item.RightReplica, item.RightSeq);
        if (live)
        {
            BinaryPrimitives.WriteInt32LittleEndian(buffer[at..], log.Content.Get(seq));
            at += 4;
        }

        SHA256.HashData(buffer[..at], destination);
    }

    private int WriteOrigin(Span<byte> buffer, int at, int replica, int seq)
    {
        if (replica == RgaItem.None)
        {
            buffer[at] = 0;
            return at + 1;
        }

        buffer[at] = 1;
        _logs[replica].Key.AsSpan().CopyTo(buffer[(at + 1)..]);
        BinaryPrimitives.WriteInt32LittleEndian(buffer[(at + 33)..], seq);
        return at + 37;
    }
}
