using Mero.Network.Multiformats;

namespace Mero.Network.Kademlia;

/// <summary>
/// k-buckets indexed by the common prefix length with our own key. A full bucket keeps its entries
/// (long-lived peers are the most reliable, per the Kademlia paper) unless the oldest is known dead.
/// Owned by the Kademlia loop (not thread-safe).
/// </summary>
internal sealed class RoutingTable(PeerId self, int bucketSize)
{
    private readonly KBucketKey _self = KBucketKey.ForPeer(self);
    private readonly List<Entry>[] _buckets = [.. Enumerable.Range(0, 257).Select(_ => new List<Entry>())];

    public int Count => _buckets.Sum(b => b.Count);

    public IEnumerable<KadPeer> Peers => _buckets.SelectMany(b => b).Select(e => e.Peer);

    /// <summary>Adds or refreshes a peer; false when its bucket is full (or it is us).</summary>
    public bool AddOrUpdate(KadPeer peer, DateTimeOffset now)
    {
        if (peer.Id == self)
        {
            return false;
        }

        var key = KBucketKey.ForPeer(peer.Id);
        var bucket = _buckets[_self.CommonPrefixLength(key)];
        var index = bucket.FindIndex(e => e.Peer.Id == peer.Id);
        if (index >= 0)
        {
            var existing = bucket[index];
            bucket.RemoveAt(index);
            bucket.Add(existing with { Peer = peer.Addresses.Count > 0 ? peer : existing.Peer, LastSeen = now, Failures = 0 });
            return true;
        }

        if (bucket.Count >= bucketSize)
        {
            var dead = bucket.FindIndex(e => e.Failures > 0);
            if (dead < 0)
            {
                return false;
            }

            bucket.RemoveAt(dead);
        }

        bucket.Add(new Entry(peer, key, now, 0));
        return true;
    }

    public bool Contains(PeerId peer) => _buckets[_self.CommonPrefixLength(KBucketKey.ForPeer(peer))].Exists(e => e.Peer.Id == peer);

    /// <summary>Counts a failed query; a peer failing twice in a row is removed.</summary>
    public void MarkFailed(PeerId peer)
    {
        var bucket = _buckets[_self.CommonPrefixLength(KBucketKey.ForPeer(peer))];
        var index = bucket.FindIndex(e => e.Peer.Id == peer);
        if (index < 0)
        {
            return;
        }

        if (bucket[index].Failures >= 1)
        {
            bucket.RemoveAt(index);
        }
        else
        {
            bucket[index] = bucket[index] with { Failures = 1 };
        }
    }

    public List<KadPeer> Closest(KBucketKey target, int count, PeerId? exclude = null) =>
        [.. _buckets.SelectMany(b => b)
            .Where(e => e.Peer.Id != exclude)
            .OrderBy(e => e.Key.DistanceTo(target))
            .Take(count)
            .Select(e => e.Peer)];

    private sealed record Entry(KadPeer Peer, KBucketKey Key, DateTimeOffset LastSeen, int Failures);
}
